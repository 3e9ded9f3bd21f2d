import type { Command } from 'commander'
import { removePaths } from '../../repo/add.js'
import { action } from '../action.js'
import { withWorkspace } from '../context.js'
import { printResult } from '../output.js'

export function register (program: Command): void {
  program.command('rm').description('stop tracking assets (files stay on disk)').argument('<paths...>').option('--json', 'print JSON')
    .action(action(async (p, paths: string[]) => {
      const removed = await withWorkspace(async (ws) => await removePaths(ws, { paths, cwd: process.cwd() }))
      printResult(p, { removed }, () => removed.map((r) => `removed ${r}`).join('\n'))
    }))
}
