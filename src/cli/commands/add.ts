import type { Command } from 'commander'
import { addPaths } from '../../repo/add.js'
import { checkRulesToAdd } from '../../sync/check-rules.js'
import { action } from '../action.js'
import { withWorkspace } from '../context.js'
import { printResult } from '../output.js'
import { collectTag } from '../parse.js'
import { fileProgress } from '../progress.js'
import { formatBytes } from '../../units.js'

export function register (program: Command): void {
  program.command('add').description('stage files or folders (tags attach to each asset)').argument('<paths...>')
    .option('--tag <KEY=VALUE>', 'tag each asset (repeatable)', collectTag).option('-f, --force', 'add paths even if an ignore rule (.gasignore or built-in) matches them').option('--json', 'print JSON')
    .action(action(async (p, paths: string[], opts: { tag?: Record<string, string>, force?: boolean }) => {
      const bar = p.json ? undefined : fileProgress()
      const added = await withWorkspace(async (ws) => { await checkRulesToAdd(ws, { paths, cwd: process.cwd() }); return await addPaths(ws, { paths, tags: opts.tag, cwd: process.cwd(), force: opts.force, onProgress: bar?.onFile }) })
        .finally(() => bar?.stop())
      printResult(p, { added }, () => added.map((a) => a.removed === true ? `removed   ${a.path}` : `${a.unchanged ? 'unchanged' : 'added    '} ${a.path} (${a.kind}/${a.format}, ${formatBytes(a.size)})`).join('\n'))
    }))
}
