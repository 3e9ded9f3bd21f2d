import { createRequire } from 'node:module'
import type { QueueItem } from './transfer-queue.js'
import { jointNextChange, jointRateAt, nextJointWindow, UNLIMITED_SCHEDULE, type Schedule } from './schedule.js'

// why lazy: see zoned-time.ts; only a queue with items to plan formats a time
const requireHere = createRequire(import.meta.url)
const formatInTimeZone = (instant: number, zone: string, pattern: string): string =>
  (requireHere('date-fns-tz/formatInTimeZone') as typeof import('date-fns-tz')).formatInTimeZone(instant, zone, pattern)

/**
 * `gas queue plan`: when each queued item will move, simulating the queue in order (most urgent
 * first) at the rate both ends allow — this member's schedule and the schedule of the peer the
 * item comes from, as that peer last told us in its HELLO. A peer whose schedule we have not
 * heard is taken as unlimited.
 */
export interface PlannedItem {
  id: string
  path: string
  bytes: number
  class: QueueItem['class']
  peer: string | null
  /** ISO 8601 with the member's offset; null when no common window opens within a week */
  start: string | null
  end: string | null
  /** the next window open at both ends from the planned start: its edges and joint rate */
  window: { start: string, end: string | null, rate: number | null } | null
  deadline?: string
  /** said when the deadline cannot be met at the planned rate */
  warning?: string
}

export interface PlanOptions {
  items: QueueItem[]
  ours: Schedule
  /** schedules of peers by member name */
  peers: Map<string, Schedule>
  /** epoch ms the plan starts from */
  at: number
  /** IANA zone the times are shown in */
  zone: string
}

/** why: a plan looks a few weeks ahead at most; a queue that needs longer says so rather than loop */
const MAX_PLAN_MS = 28 * 86_400_000

export function planQueue (opts: PlanOptions): PlannedItem[] {
  const show = (ms: number): string => formatInTimeZone(ms, opts.zone, "yyyy-MM-dd'T'HH:mm:ssXXX")
  let t = opts.at
  const out: PlannedItem[] = []
  for (const item of opts.items) {
    const peer = pickPeer(item, opts, t)
    const theirs = peer === null ? UNLIMITED_SCHEDULE : opts.peers.get(peer) ?? UNLIMITED_SCHEDULE
    const window = t === Infinity ? undefined : nextJointWindow(opts.ours, theirs, t)
    const finish = window === undefined ? Infinity : finishTime(opts.ours, theirs, window.start, item.bytes, opts.at + MAX_PLAN_MS)
    const planned: PlannedItem = {
      id: item.id,
      path: item.path,
      bytes: item.bytes,
      class: item.class,
      peer,
      start: window === undefined ? null : show(window.start),
      end: finish === Infinity ? null : show(finish),
      window: window === undefined ? null : { start: show(window.start), end: window.end === undefined ? null : show(window.end), rate: Number.isFinite(window.rate) ? window.rate : null },
      ...(item.deadline !== undefined ? { deadline: item.deadline } : {})
    }
    if (item.deadline !== undefined && finish > Date.parse(item.deadline)) {
      planned.warning = finish === Infinity
        ? `cannot be fetched by ${item.deadline}: no window open at both ends in time`
        : `will arrive ${show(finish)}, after its deadline ${item.deadline}: widen a window or raise its rate`
    }
    out.push(planned)
    t = finish
  }
  return out
}

/** The peer that can start soonest among those holding the item. */
function pickPeer (item: QueueItem, opts: PlanOptions, at: number): string | null {
  let best: { peer: string, start: number } | undefined
  for (const peer of item.peers) {
    const start = nextJointWindow(opts.ours, opts.peers.get(peer) ?? UNLIMITED_SCHEDULE, at)?.start ?? Infinity
    if (best === undefined || start < best.start) best = { peer, start }
  }
  return best?.peer ?? null
}

/** When `bytes` have moved, starting at `from`, at the joint rate as it changes. */
function finishTime (a: Schedule, b: Schedule, from: number, bytes: number, limit: number): number {
  let left = bytes
  let t = from
  while (left > 0) {
    if (t > limit) return Infinity
    const rate = jointRateAt(a, b, t)
    if (rate === Infinity) return t
    const next = jointNextChange(a, b, t) ?? Infinity
    if (rate > 0) {
      const need = left / rate * 1000
      if (t + need <= next) return Math.ceil(t + need)
      left -= rate * (next - t) / 1000
    }
    if (next === Infinity) return Infinity
    t = next
  }
  return t
}
