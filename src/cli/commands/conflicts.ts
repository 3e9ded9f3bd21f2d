import type { Command } from 'commander'
import { listConflicts } from '../../repo/resolve.js'
import { action } from '../action.js'
import { withWorkspace } from '../context.js'
import { printResult } from '../output.js'

export function register (program: Command): void {
  program.command('conflicts').description('paths a merge from a peer waits on').option('--json', 'print JSON')
    .action(action(async (p) => {
      const state = await withWorkspace(async (ws) => await listConflicts(ws))
      printResult(p, state, () => state.conflicts.length === 0
        ? 'no conflicts'
        : [`merging ${state.from}:`, ...state.conflicts.map((c) => `  ${c.path}  ours ${c.local === 'edited' ? 'the edited file' : c.ours?.slice(0, 12) ?? 'deleted'}  theirs ${c.theirs?.slice(0, 12) ?? 'deleted'}`)].join('\n'))
    }))
}
