import type { Command } from 'commander'
import { commit } from '../../repo/commit.js'
import { describeLock, lockJson } from '../../repo/lock-format.js'
import { lockedByOthersIn } from '../../repo/lock-warnings.js'
import { checkStagedRules } from '../../sync/check-rules.js'
import { action } from '../action.js'
import { withWorkspace } from '../context.js'
import { printResult } from '../output.js'
import { collectTag } from '../parse.js'

export function register (program: Command): void {
  program.command('commit').description('record the staged assets as a new version').requiredOption('-m, --message <msg>', 'what changed')
    .option('--tag <KEY=VALUE>', 'tag the version (repeatable)', collectTag)
    .option('-a, --all', 'first stage every tracked file that changed and forget every one that is gone, as git commit -a (new files still need gas add)')
    .option('--json', 'print JSON')
    .action(action(async (p, opts: { message: string, tag?: Record<string, string>, all?: boolean }) => {
      const { version, locked, timeZone } = await withWorkspace(async (ws) => {
        // loaded only here: the status walk's modules stay out of a plain commit's start
        if (opts.all === true) await (await import('../../repo/stage-tracked.js')).stageTrackedChanges(ws)
        await checkStagedRules(ws)
        const version = await commit(ws, { message: opts.message, tags: opts.tag })
        return { version, locked: await lockedByOthersIn(ws, version), timeZone: ws.config.timeZone }
      })
      // committed all the same: a lock warns here, the pre-push hook is where it refuses
      for (const l of locked) p.err(`gas: warning: ${l.path} is locked by ${describeLock(l, timeZone)}`)
      printResult(p, locked.length === 0 ? { version } : { version, lockedByOthers: locked.map(lockJson) }, () => `version ${version}`)
    }))
}
