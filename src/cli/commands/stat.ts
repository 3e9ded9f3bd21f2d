import type { Command } from 'commander'
import { stat } from '../../repo/stat.js'
import { action } from '../action.js'
import { withWorkspace } from '../context.js'
import { printResult } from '../output.js'
import { formatBytes } from '../../units.js'

export function register (program: Command): void {
  program.command('stat').description('counts and sizes of the store').option('--json', 'print JSON')
    .action(action(async (p) => {
      const s = await withWorkspace(async (ws) => await stat(ws))
      printResult(p, s, () => Object.entries(s).map(([k, v]) => `${k.padEnd(14)} ${k.endsWith('Bytes') ? formatBytes(v) : v}`).join('\n'))
    }))
}
