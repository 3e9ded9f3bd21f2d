import { GasError } from '../errors.js'
import { parseRate } from '../units.js'
import { instantOf, isTimeZone, localDayOf, weekdayOf } from './zoned-time.js'

/**
 * A transfer window: `Mon-Fri 22:00-07:00 Asia/Tokyo [20MB/s]`. Days are a list of days or day
 * ranges (`Mon,Wed-Fri`, `Sat-Sun`, `daily`); a window that ends at or before its start crosses
 * midnight and belongs to the day it starts on (`Fri 22:00-07:00` runs Friday night into Saturday
 * morning); `00:00-24:00` is the whole day. The optional rate caps transfers while it is open.
 */
export interface TransferWindow {
  /** the text it was parsed from, normalised */
  text: string
  /** weekdays it starts on, 0 = Sunday */
  days: number[]
  /** minutes after local midnight */
  start: number
  end: number
  zone: string
  /** bytes/s while open; undefined: the schedule's default limit */
  limit?: number
}

export interface Interval { start: number, end: number, window: TransferWindow }

const DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat']
const DAY_LABELS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat']

function bad (text: string, part: string, why: string): GasError {
  return new GasError('E_BAD_SCHEDULE', `window "${text}": ${part}: ${why} (expected e.g. "Mon-Fri 22:00-07:00 Asia/Tokyo 20MB/s")`, { window: text, part })
}

function parseDay (text: string, part: string, word: string): number {
  const index = DAY_NAMES.indexOf(word.slice(0, 3).toLowerCase())
  const full = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday']
  if (index < 0 || (word.length > 3 && full[index] !== word.toLowerCase())) throw bad(text, `the days "${part}"`, `"${word}" is not a weekday (${DAY_LABELS.join(', ')})`)
  return index
}

function parseDays (text: string, part: string): number[] {
  if (/^(daily|every-?day|\*)$/i.test(part)) return [0, 1, 2, 3, 4, 5, 6]
  const days = new Set<number>()
  for (const item of part.split(',')) {
    const range = item.split('-')
    if (range.length > 2 || item === '') throw bad(text, `the days "${part}"`, 'use a day, a range like Mon-Fri, or a list like Sat,Sun')
    const from = parseDay(text, part, range[0])
    const to = range.length === 2 ? parseDay(text, part, range[1]) : from
    // a range may wrap around the week: Fri-Mon
    for (let d = from; ; d = (d + 1) % 7) {
      days.add(d)
      if (d === to) break
    }
  }
  return [...days].sort((a, b) => a - b)
}

function parseMinute (text: string, part: string, clock: string, allowEndOfDay: boolean): number {
  const m = /^(\d{1,2}):(\d{2})$/.exec(clock)
  if (m === null) throw bad(text, `the times "${part}"`, `"${clock}" is not a time of day (HH:MM)`)
  const minute = Number(m[1]) * 60 + Number(m[2])
  if (Number(m[2]) > 59 || minute > 1440 || (minute === 1440 && !allowEndOfDay)) throw bad(text, `the times "${part}"`, `"${clock}" is not a time of day (00:00 to 24:00)`)
  return minute
}

export function parseWindow (text: string): TransferWindow {
  if (typeof text !== 'string') throw new GasError('E_BAD_SCHEDULE', 'a window must be text like "Mon-Fri 22:00-07:00 Asia/Tokyo"')
  const parts = text.trim().split(/\s+/)
  if (parts.length < 3 || parts.length > 4) throw bad(text, 'the whole', `${parts.length} part(s); a window is DAYS HH:MM-HH:MM ZONE [RATE]`)
  const [dayPart, timePart, zone, ratePart] = parts
  const days = parseDays(text, dayPart)
  const times = timePart.split('-')
  if (times.length !== 2) throw bad(text, `the times "${timePart}"`, 'use START-END, like 22:00-07:00')
  const start = parseMinute(text, timePart, times[0], false)
  const end = parseMinute(text, timePart, times[1], true)
  if (start === end) throw bad(text, `the times "${timePart}"`, 'the window is empty (use 00:00-24:00 for the whole day)')
  if (!isTimeZone(zone)) throw bad(text, `the time zone "${zone}"`, 'not an IANA time zone (like Europe/Berlin, Asia/Tokyo, UTC)')
  let limit: number | undefined
  if (ratePart !== undefined) {
    try {
      limit = parseRate(ratePart)
    } catch {
      throw bad(text, `the rate "${ratePart}"`, 'not a rate (like 5MB/s, 512KiB/s)')
    }
  }
  const label = days.length === 7 ? 'daily' : dayLabel(days)
  return { text: [label, timePart, zone, ...(ratePart !== undefined ? [ratePart] : [])].join(' '), days, start, end, zone, ...(limit !== undefined ? { limit } : {}) }
}

/** [1,2,3,4,5] → "Mon-Fri", [0,6] → "Sat-Sun": runs of days as ranges, the week starting on Monday. */
function dayLabel (days: number[]): string {
  const week = [1, 2, 3, 4, 5, 6, 0].filter((d) => days.includes(d))
  const runs: number[][] = []
  for (const d of week) {
    const run = runs[runs.length - 1]
    if (run !== undefined && (run[run.length - 1] + 1) % 7 === d) run.push(d)
    else runs.push([d])
  }
  return runs.map((run) => run.length === 1 ? DAY_LABELS[run[0]] : `${DAY_LABELS[run[0]]}-${DAY_LABELS[run[run.length - 1]]}`).join(',')
}

/** Every opening of `window` that overlaps [from, to), in order. */
export function intervalsOf (window: TransferWindow, from: number, to: number): Interval[] {
  const out: Interval[] = []
  const first = localDayOf(window.zone, from) - 1
  const last = localDayOf(window.zone, to)
  for (let day = first; day <= last; day++) {
    if (!window.days.includes(weekdayOf(day))) continue
    const start = instantOf(window.zone, day, window.start)
    const end = window.end > window.start ? instantOf(window.zone, day, window.end) : instantOf(window.zone, day + 1, window.end)
    if (end > from && start < to && end > start) out.push({ start, end, window })
  }
  return out
}

export function isOpen (window: TransferWindow, at: number): boolean {
  return intervalsOf(window, at, at + 1).some((i) => i.start <= at && at < i.end)
}
