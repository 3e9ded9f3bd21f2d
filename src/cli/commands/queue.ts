import type { Command } from 'commander'
// why: loaded when the command runs: date-fns formatting loads ~300 modules other commands must not pay for
const workspaceQueue = async () => await import('../../schedule/workspace-queue.js')
const openQueue = async (ws: Workspace) => await (await workspaceQueue()).openQueue(ws)
import { formatBytes } from '../../units.js'
import { action } from '../action.js'
import { withWorkspace } from '../context.js'
import { printResult } from '../output.js'
import { parseAt } from './schedule.js'
import type { Workspace } from '../../repo/workspace.js'

export function register (program: Command): void {
  const queue = program.command('queue').description('content waiting for a transfer window')
  queue.command('list').description('queued transfers, most urgent first').option('--json', 'print JSON')
    .action(action(async (p) => {
      const { paused, items } = await withWorkspace(async (ws) => {
        const q = await openQueue(ws)
        return { paused: q.paused, items: q.list() }
      })
      printResult(p, { paused, items }, () => [
        ...(paused ? ['queue paused (`gas queue resume`)'] : []),
        ...(items.length === 0 ? ['nothing queued'] : items.map((i) => `${i.class.padEnd(8)} ${formatBytes(i.bytes).padStart(9)}  ${i.path}${i.deadline !== undefined ? ` (by ${i.deadline})` : ''}`))
      ].join('\n'))
    }))
  queue.command('plan').description('when each queued transfer will run, at the rate both ends allow').option('--at <iso-time>', 'plan from this time (ISO 8601)').option('--json', 'print JSON')
    .action(action(async (p, opts: { at?: string }) => {
      const plan = await withWorkspace(async (ws) => await (await workspaceQueue()).planTransfers(ws, parseAt(opts.at)))
      printResult(p, plan, () => plan.items.length === 0
        ? 'nothing queued'
        : plan.items.map((i) => `${i.start ?? 'no common window'} → ${i.end ?? '?'}  ${formatBytes(i.bytes).padStart(9)}  ${i.path}${i.peer !== null ? ` from ${i.peer}` : ''}${i.warning !== undefined ? `\n  warning: ${i.warning}` : ''}`).join('\n'))
    }))
  queue.command('prioritize').description('fetch PATH (or ID) first; --by plans it to arrive by a time').argument('<target>').option('--by <iso-time>', 'deadline (ISO 8601)').option('--json', 'print JSON')
    .action(action(async (p, target: string, opts: { by?: string }) => {
      const items = await withWorkspace(async (ws) => await (await openQueue(ws)).prioritize(target, opts.by))
      printResult(p, { items }, () => items.map((i) => `${i.path}: ${i.class}${i.deadline !== undefined ? ` by ${i.deadline}` : ''}`).join('\n'))
    }))
  for (const [name, paused] of [['pause', true], ['resume', false]] as const) {
    queue.command(name).description(paused ? 'hold queued transfers (in-flight objects finish)' : 'let queued transfers run again in their windows').option('--json', 'print JSON')
      .action(action(async (p) => {
        await withWorkspace(async (ws) => { await (await openQueue(ws)).setPaused(paused) })
        printResult(p, { paused }, () => paused ? 'queue paused' : 'queue resumed')
      }))
  }
}
