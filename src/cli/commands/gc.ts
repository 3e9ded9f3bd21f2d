import type { Command } from 'commander'
import { gc } from '../../sync/gc.js'
import { action } from '../action.js'
import { withWorkspace } from '../context.js'
import { printResult } from '../output.js'
import { formatBytes } from '../../units.js'

export function register (program: Command): void {
  program.command('gc').description('drop local content the rules no longer want (never content you authored)')
    .option('--dry-run', 'say what would be dropped').option('--json', 'print JSON')
    .action(action(async (p, opts: { dryRun?: boolean }) => {
      const result = await withWorkspace(async (ws) => await gc(ws, { dryRun: opts.dryRun === true }))
      printResult(p, result, () => [
        `${opts.dryRun === true ? 'would drop' : 'dropped'} ${result.dropped.chunks} chunks (${formatBytes(result.dropped.bytes)}) of ${result.paths.length} unwanted asset(s)`,
        ...result.keptAuthored.map((path) => `  kept ${path}: you authored it`),
        `rule: ${result.rule}`
      ].join('\n'))
    }))
}
