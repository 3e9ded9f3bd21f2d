import { wallClock, type Clock } from '../../clock.js'
import type { ObjectId } from '../../objects/id.js'
import type { Workspace } from '../../repo/workspace.js'
import { openQueue } from '../../schedule/workspace-queue.js'
import { dropArrived } from './content-queue.js'
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
/**
 * why: a run that reached no peer waits twice as long before the next, up to this; each joined the
 * tracker and printed "no peer to sync with" every 5 s for as long as an item no one online held
 * stayed queued. A member that brings its own queued items gets them taken over its session (serve-pull.ts).
 */
export const QUEUE_MAX_BACKOFF_MS = 5 * 60_000

export function runQueue (opts: QueueRunnerOptions): { stop: () => Promise<void> } {
  let stopped = false
  let running: Promise<void> | undefined
  let windowClosed: AbortController | undefined
  let cancelTimer: (() => void) | undefined
  const clock = opts.clock ?? wallClock
  const pollMs = opts.pollMs ?? QUEUE_POLL_MS
  let waitMs = pollMs

  const tick = (): void => {
    if (stopped || running !== undefined || opts.limits.contentRate <= 0) return
    cancelTimer?.()
    running = runOnce().then((reached) => {
      waitMs = reached ? pollMs : Math.min(QUEUE_MAX_BACKOFF_MS, waitMs * 2)
    }).finally(() => {
      running = undefined
      if (!stopped) cancelTimer = clock.after(waitMs, tick)
    })
  }

  /** false when the run reached no peer (its fetch failed) */
  async function runOnce (): Promise<boolean> {
    const queue = await openQueue(opts.ws).catch(() => undefined)
    if (queue === undefined || queue.paused) return true
    const items = queue.list()
    if (items.length === 0) return true
    windowClosed = new AbortController()
    opts.onEvent?.({ state: 'started', items: items.length })
    // why: content the peers refuse (read rights) leaves the queue, or every poll would ask for it again, forever
    let refused: ObjectId[] = []
    // why one event per run: a failed fetch was told twice ("queue closed: no peer …", then "queue closed")
    let failure: string | undefined
    try {
      const fetched = await opts.fetch({ roots: items.map((i) => i.id), wrapTransport: (t) => opts.limits.throttle(t), signal: windowClosed.signal })
      const deniedRoots = new Set(fetched?.accessDenied?.map((d) => d.path))
      refused = items.filter((i) => deniedRoots.has(i.id)).map((i) => i.id)
    } catch (err) {
      failure = (err as Error).message
    }
    await opts.ws.store.flush()
    const arrived = await dropArrived(opts.ws, items.map((i) => i.id))
    if (refused.length > 0) await (await openQueue(opts.ws)).remove(refused)
    const error = failure ?? (refused.length === 0 ? undefined : `E_ACCESS_DENIED: ${refused.length} queued item(s) refused by the peers (your roles may not read them); dropped from the queue`)
    opts.onEvent?.({ state: windowClosed.signal.aborted || failure !== undefined ? 'stopped' : 'done', items: arrived.length, ...(error === undefined ? {} : { error }) })
    windowClosed = undefined
    return failure === undefined
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
