import type { LockEntry } from '../refs/lock-table.js'

/**
 * why Intl rather than date-fns-tz: a wall clock in a zone is what Intl.DateTimeFormat does itself
 * (date-fns-tz calls it underneath), and loading date-fns-tz's formatter cost `gas status` and
 * `gas locks` ~50 ms of their ~0.3 s whenever a lock was to be shown. One formatter per zone.
 */
const formatters = new Map<string, Intl.DateTimeFormat>()

function wallClock (ms: number, timeZone: string): string {
  let format = formatters.get(timeZone)
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
    formatters.set(timeZone, format)
  }
  const part: Partial<Record<Intl.DateTimeFormatPartTypes, string>> = {}
  for (const { type, value } of format.formatToParts(ms)) part[type] = value
  return `${part.year ?? ''}-${part.month ?? ''}-${part.day ?? ''} ${part.hour ?? ''}:${part.minute ?? ''}`
}

/** `2026-11-30 17:00 Asia/Tokyo`: a time (a lock's, a window's next change) as the reader's zone shows it (UTC when the zone is unknown). */
export function formatWallClock (ms: number, timeZone: string): string {
  try {
    return `${wallClock(ms, timeZone)} ${timeZone}`
  } catch {
    // an unknown zone: Intl throws RangeError
    return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`
  }
}

/** "bo until 2026-11-30 17:00 Europe/Paris (rigging)" */
export function describeLock (lock: LockEntry, timeZone: string): string {
  return `${lock.holder.name} until ${formatWallClock(lock.expires, timeZone)}${lock.reason === '' ? '' : ` (${lock.reason})`}`
}

/** A lock as the CLI's and the API's JSON show it: ISO times in UTC, the holder's key. */
export function lockJson (lock: LockEntry): { path: string, holder: string, publicKey: string, lease: string, created: string, expires: string, reason: string, timeZone: string } {
  return {
    path: lock.path,
    holder: lock.holder.name,
    publicKey: lock.holder.publicKey,
    lease: lock.lease,
    created: new Date(lock.at).toISOString(),
    expires: new Date(lock.expires).toISOString(),
    reason: lock.reason,
    timeZone: lock.timeZone
  }
}
