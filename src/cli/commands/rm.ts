import type { Command } from 'commander'
import { removePaths } from '../../repo/add.js'
import { action } from '../action.js'
import { withWorkspace } from '../context.js'
import { printResult } from '../output.js'

export function register (program: Command): void {
  program.command('rm').description('stop tracking assets and delete their files, as git rm does (--cached keeps the files)').argument('<paths...>')
    .option('--cached', 'only stop tracking: the files stay on disk, untracked')
    .option('-f, --force', 'delete files even when they hold changes that are not staged')
    .option('--json', 'print JSON')
    .action(action(async (p, paths: string[], opts: { cached?: boolean, force?: boolean }) => {
      const removed = await withWorkspace(async (ws) => await removePaths(ws, { paths, cwd: process.cwd(), cached: opts.cached, force: opts.force }))
      printResult(p, { removed, cached: opts.cached === true }, () => removed.map((r) => `removed ${r}${opts.cached === true ? ' (file kept)' : ''}`).join('\n'))
    }))
}
