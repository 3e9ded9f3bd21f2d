import { wallClock, type Clock } from '../../clock.js'
import type { ObjectId } from '../../objects/id.js'
import type { Workspace } from '../../repo/workspace.js'
import { openQueue } from '../../schedule/workspace-queue.js'
import { arrivedItems } from './content-queue.js'
import type { TransferLimits } from '../transport/transfer-limits.js'

/**
 * `gas serve`'s side of the transfer queue: while a window is open (content may move) and the
 * queue is not paused, fetch the queued items, most urgent first, through rate-limited
 * connections; when the window closes, stop (objects in flight finish, nothing more is asked)
 * and resume later from what is still missing. Arrived items leave the queue.
 */
export interface QueueRunnerOptions {
  ws: Workspace
  limits: TransferLimits
  /** fetches roots from the team's peers through `wrap`ped connections until `signal` aborts; `accessDenied` names the roots the peers refused */
  fetch: (opts: { roots: ObjectId[], wrapTransport: TransferLimits['throttle'], signal: AbortSignal }) => Promise<{ accessDenied?: Array<{ path: string }> } | undefined | void>
  /** look at the queue this often while idle (ms) */
  pollMs?: number
  clock?: Clock
  onEvent?: (event: { state: 'started' | 'stopped' | 'done', items: number, error?: string }) => void
}

/** why: a sync queues work at any moment; a window-open serve picks it up within this long */
export const QUEUE_POLL_MS = 5_000

export function runQueue (opts: QueueRunnerOptions): { stop: () => Promise<void> } {
  let stopped = false
  let running: Promise<void> | undefined
  let windowClosed: AbortController | undefined
  let cancelTimer: (() => void) | undefined
  const clock = opts.clock ?? wallClock

  const tick = (): void => {
    if (stopped || running !== undefined || opts.limits.contentRate <= 0) return
    running = runOnce().finally(() => {
      running = undefined
      if (!stopped) cancelTimer = clock.after(opts.pollMs ?? QUEUE_POLL_MS, tick)
    })
  }

  async function runOnce (): Promise<void> {
    const queue = await openQueue(opts.ws).catch(() => undefined)
    if (queue === undefined || queue.paused) return
    const items = queue.list()
    if (items.length === 0) return
    windowClosed = new AbortController()
    opts.onEvent?.({ state: 'started', items: items.length })
    // why: content the peers refuse (read rights) leaves the queue, or every poll would ask for it again, forever
    let refused: ObjectId[] = []
    try {
      const fetched = await opts.fetch({ roots: items.map((i) => i.id), wrapTransport: (t) => opts.limits.throttle(t), signal: windowClosed.signal })
      const deniedRoots = new Set(fetched?.accessDenied?.map((d) => d.path))
      refused = items.filter((i) => deniedRoots.has(i.id)).map((i) => i.id)
    } catch (err) {
      opts.onEvent?.({ state: 'stopped', items: items.length, error: (err as Error).message })
    }
    await opts.ws.store.flush()
    const arrived = await arrivedItems(opts.ws, items.map((i) => i.id))
    await (await openQueue(opts.ws)).remove([...arrived, ...refused])
    const refusal = refused.length === 0 ? {} : { error: `E_ACCESS_DENIED: ${refused.length} queued item(s) refused by the peers (your roles may not read them); dropped from the queue` }
    opts.onEvent?.({ state: windowClosed.signal.aborted ? 'stopped' : 'done', items: arrived.length, ...refusal })
    windowClosed = undefined
  }

  opts.limits.onChange((rate) => {
    if (rate <= 0) windowClosed?.abort()
    else tick()
  })
  tick()
  return {
    async stop () {
      stopped = true
      cancelTimer?.()
      windowClosed?.abort()
      await running
    }
  }
}
