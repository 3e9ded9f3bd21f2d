import { GasError } from '../errors.js'
import { intervalsOf, parseWindow, type TransferWindow } from './window.js'

/**
 * A member's transfer schedule: windows when big transfers may run, each with its own rate cap,
 * a default cap for windows that name none, and what is allowed outside every window
 * (`outsideLimit` 0: wait for a window). No windows at all: no limit, at any hour.
 */
export interface Schedule {
  windows: TransferWindow[]
  /** bytes/s inside a window that names no rate; undefined: unlimited */
  limit?: number
  /** bytes/s outside every window; 0 waits; undefined: unlimited when there are no windows, else 0 */
  outsideLimit?: number
}

/** why: a week and a day covers every weekly window's next opening, from any instant */
const HORIZON_MS = 8 * 86_400_000

export const UNLIMITED_SCHEDULE: Schedule = { windows: [] }

export function parseSchedule (windows: string[], opts: { limit?: number, outsideLimit?: number } = {}): Schedule {
  for (const [name, value] of [['limit', opts.limit], ['outside limit', opts.outsideLimit]] as const) {
    if (value !== undefined && (!Number.isFinite(value) || value < 0)) throw new GasError('E_BAD_SCHEDULE', `the ${name} must be a rate of 0 or more bytes per second`)
  }
  return { windows: windows.map(parseWindow), ...(opts.limit !== undefined ? { limit: opts.limit } : {}), ...(opts.outsideLimit !== undefined ? { outsideLimit: opts.outsideLimit } : {}) }
}

/** Checks a schedule read from a file or a peer: anything malformed is E_BAD_SCHEDULE. */
export function checkSchedule (value: unknown): Schedule {
  const s = value as Schedule
  if (typeof s !== 'object' || s === null || !Array.isArray(s.windows)) throw new GasError('E_BAD_SCHEDULE', 'a schedule needs a list of windows')
  return parseSchedule(s.windows.map((w) => (w as TransferWindow)?.text ?? w as unknown as string), { limit: s.limit, outsideLimit: s.outsideLimit })
}

function outside (schedule: Schedule): number {
  return schedule.outsideLimit ?? (schedule.windows.length === 0 ? Infinity : 0)
}

/** Bytes/s allowed at `at` (Infinity: no limit; 0: wait). Overlapping windows: the most generous. */
export function rateAt (schedule: Schedule, at: number): number {
  let rate: number | undefined
  for (const window of schedule.windows) {
    if (intervalsOf(window, at, at + 1).some((i) => i.start <= at && at < i.end)) {
      const cap = window.limit ?? schedule.limit ?? Infinity
      rate = Math.max(rate ?? 0, cap)
    }
  }
  return rate ?? outside(schedule)
}

/** The next instant after `at` when `rateAt` may change (a window opens or closes), or undefined. */
export function nextChange (schedule: Schedule, at: number): number | undefined {
  let next: number | undefined
  for (const window of schedule.windows) {
    for (const i of intervalsOf(window, at, at + HORIZON_MS)) {
      for (const edge of [i.start, i.end]) if (edge > at && (next === undefined || edge < next)) next = edge
    }
  }
  return next
}

/** A transfer between two members runs at the lower of both ends' rates: both windows must be open. */
export function jointRateAt (a: Schedule, b: Schedule, at: number): number {
  return Math.min(rateAt(a, at), rateAt(b, at))
}

export function jointNextChange (a: Schedule, b: Schedule, at: number): number | undefined {
  const times = [nextChange(a, at), nextChange(b, at)].filter((t): t is number => t !== undefined)
  return times.length === 0 ? undefined : Math.min(...times)
}

/**
 * The next stretch from `at` on when both ends allow a transfer: `start` (maybe `at` itself), `end`
 * (undefined: open for good) and the joint rate at its start. Undefined when none opens in 8 days.
 */
export function nextJointWindow (a: Schedule, b: Schedule, at: number): { start: number, end: number | undefined, rate: number } | undefined {
  let t = at
  for (let guard = 0; guard < 1000 && t < at + HORIZON_MS; guard++) {
    const rate = jointRateAt(a, b, t)
    const change = jointNextChange(a, b, t)
    if (rate > 0) {
      // the stretch lasts while the rate stays above zero (it may change value on the way)
      let end = change
      while (end !== undefined && jointRateAt(a, b, end) > 0 && end < at + HORIZON_MS) end = jointNextChange(a, b, end)
      return { start: t, end, rate }
    }
    if (change === undefined) return undefined
    t = change
  }
  return undefined
}

/**
 * Bytes that can move from `from` to `to` under both schedules (rates piecewise constant between
 * changes); Infinity when a stretch is unlimited.
 */
export function bytesBetween (a: Schedule, b: Schedule, from: number, to: number): number {
  let total = 0
  for (let t = from; t < to;) {
    const next = Math.min(to, jointNextChange(a, b, t) ?? to)
    total += jointRateAt(a, b, t) * (next - t) / 1000
    t = next
  }
  return total
}
