import type { Command } from 'commander'
import { resolveConflict } from '../../repo/resolve.js'
import { action } from '../action.js'
import { withWorkspace } from '../context.js'
import { printResult } from '../output.js'

export function register (program: Command): void {
  program.command('resolve').description('settle a conflicting path: ours, theirs, or the asset as in VERSION').argument('<path>')
    .requiredOption('--take <ours|theirs|VERSION>', 'which side to keep (ours: the file as it is in the workspace, a hand merge included)')
    .option('--force', 'take theirs or VERSION even over changes to the file that are not staged')
    .option('--json', 'print JSON')
    .action(action(async (p, path: string, opts: { take: string, force?: boolean }) => {
      const r = await withWorkspace(async (ws) => await resolveConflict(ws, { path, take: opts.take, force: opts.force, cwd: process.cwd() }))
      const took = r.kept === 'workspace' ? `${opts.take} (the file as it is in the workspace)` : opts.take
      printResult(p, r, () => `${r.path}: took ${took}; ${r.left === 0 ? 'all resolved, `gas commit` records the merge' : `${r.left} conflict(s) left`}`)
    }))
}
