import type { Command } from 'commander'
import { commit } from '../../repo/commit.js'
import { checkStagedRules } from '../../sync/check-rules.js'
import { action } from '../action.js'
import { withWorkspace } from '../context.js'
import { printResult } from '../output.js'
import { collectTag } from '../parse.js'

export function register (program: Command): void {
  program.command('commit').description('record the staged assets as a new version').requiredOption('-m, --message <msg>', 'what changed')
    .option('--tag <KEY=VALUE>', 'tag the version (repeatable)', collectTag).option('--json', 'print JSON')
    .action(action(async (p, opts: { message: string, tag?: Record<string, string> }) => {
      const version = await withWorkspace(async (ws) => { await checkStagedRules(ws); return await commit(ws, { message: opts.message, tags: opts.tag }) })
      printResult(p, { version }, () => `version ${version}`)
    }))
}
