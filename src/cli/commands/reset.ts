import type { Command } from 'commander'
import { resetIndex, type ResetResult } from '../../repo/reset.js'
import { action } from '../action.js'
import { withWorkspace } from '../context.js'
import { printResult } from '../output.js'

function describe (r: ResetResult): string {
  const lines: string[] = []
  if (r.rebuilt) lines.push('.gas/index.json could not be read: made again from HEAD (`gas status` reads each file once to judge it)')
  if (r.abandonedMerge !== null) lines.push(`merge of ${r.abandonedMerge} given up: its version stays under refs/remotes/ for the next \`gas sync\` to merge again`)
  if (r.unstaged.length > 0) lines.push('unstaged (the files are as you left them):', ...r.unstaged.map((p) => `  ${p}`))
  else if (!r.rebuilt) lines.push('nothing was staged there: the index already holds what HEAD has')
  return lines.join('\n')
}

export function register (program: Command): void {
  program.command('reset').description('unstage: the index as HEAD has it for PATHs (default: every path; rebuilds a damaged index); files are not touched')
    .argument('[paths...]')
    .option('--json', 'print JSON')
    .action(action(async (p, paths: string[]) => {
      const result = await withWorkspace(async (ws) => await resetIndex(ws, { paths, cwd: process.cwd() }))
      printResult(p, result, () => describe(result))
    }))
}
