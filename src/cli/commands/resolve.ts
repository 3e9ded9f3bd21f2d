import type { Command } from 'commander'
import { resolveConflict } from '../../repo/resolve.js'
import { action } from '../action.js'
import { withWorkspace } from '../context.js'
import { printResult } from '../output.js'

export function register (program: Command): void {
  program.command('resolve').description('settle a conflicting path: ours, theirs, or the asset as in VERSION').argument('<path>')
    .requiredOption('--take <ours|theirs|VERSION>', 'which side to keep').option('--json', 'print JSON')
    .action(action(async (p, path: string, opts: { take: string }) => {
      const r = await withWorkspace(async (ws) => await resolveConflict(ws, { path, take: opts.take, cwd: process.cwd() }))
      printResult(p, r, () => `${r.path}: took ${opts.take}; ${r.left === 0 ? 'all resolved, `gas commit` records the merge' : `${r.left} conflict(s) left`}`)
    }))
}
