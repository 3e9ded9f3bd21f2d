import { createRequire } from 'node:module'
import { GasError } from '../errors.js'

/**
 * why lazy: date-fns-tz's formatter loads ~300 date-fns modules as ESM (~100 ms), and every
 * `gas sync` and `gas serve` loads this file with the transfer windows, though a workspace without
 * windows never reads a zone's clock; synchronous, hence require.
 */
const requireHere = createRequire(import.meta.url)
const formatInTimeZone = (instant: number, zone: string, pattern: string): string =>
  (requireHere('date-fns-tz/formatInTimeZone') as typeof import('date-fns-tz')).formatInTimeZone(instant, zone, pattern)

/**
 * Local wall-clock times in an IANA zone → instants, through date-fns-tz. What date-fns-tz leaves
 * to the caller is the two days a year when a wall time does not map to exactly one instant:
 * - a time that occurs twice (the hour repeated when clocks go back) means its first occurrence;
 * - a time that never occurs (the hour skipped when clocks go forward) means the moment the clocks
 *   jump, the first instant at or after it that exists (a window starting at 02:30 on that day
 *   opens at 03:00 local).
 */

const DAY_MS = 86_400_000

/** A calendar day, counted in days since 1970-01-01 (its weekday: (day + 4) % 7, 0 = Sunday). */
export type LocalDay = number

export function isTimeZone (zone: string): boolean {
  try {
    // eslint-disable-next-line no-new
    new Intl.DateTimeFormat('en-US', { timeZone: zone })
    return zone.includes('/') || zone === 'UTC'
  } catch {
    return false
  }
}

function offsetAt (zone: string, instant: number): number {
  return wallAt(zone, instant) - instant
}

/** The wall-clock time at `instant` in `zone`, as if it were UTC (ms). */
function wallAt (zone: string, instant: number): number {
  let text: string
  try {
    text = formatInTimeZone(instant, zone, "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'")
  } catch {
    throw new GasError('E_BAD_SCHEDULE', `unknown time zone "${zone}"`, { zone })
  }
  return Date.parse(text)
}

/** The local calendar day `instant` falls on in `zone`. */
export function localDayOf (zone: string, instant: number): LocalDay {
  return Math.floor(wallAt(zone, instant) / DAY_MS)
}

/** 0 = Sunday … 6 = Saturday. */
export function weekdayOf (day: LocalDay): number {
  return ((day + 4) % 7 + 7) % 7
}

/** The instant the wall clock in `zone` shows `minute` (0..1440) of `day`. */
export function instantOf (zone: string, day: LocalDay, minute: number): number {
  const wall = day * DAY_MS + minute * 60_000
  // why ±36 h: the offsets on either side of any transition that could touch this day
  const before = wall - offsetAt(zone, wall - 1.5 * DAY_MS)
  const after = wall - offsetAt(zone, wall + 1.5 * DAY_MS)
  const exact = [before, after].filter((instant) => wallAt(zone, instant) === wall)
  if (exact.length > 0) return Math.min(...exact)
  // skipped: the transition lies between the two readings; find the first instant whose wall time is past `wall`
  let lo = Math.min(before, after)
  let hi = Math.max(before, after)
  while (hi - lo > 1000) {
    const mid = Math.floor((lo + hi) / 2)
    if (wallAt(zone, mid) >= wall) hi = mid
    else lo = mid
  }
  return Math.ceil(hi / 60_000) * 60_000
}
