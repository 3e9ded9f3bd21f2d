import { createRequire } from 'node:module'
import type { LockEntry } from '../refs/lock-table.js'

/**
 * why lazy: date-fns-tz's formatter loads ~80 date-fns modules (~50 ms of `gas commit`'s start),
 * which only a lock to describe needs; synchronous, hence require.
 */
const requireHere = createRequire(import.meta.url)
const formatInTimeZone = (date: Date, timeZone: string, pattern: string): string =>
  (requireHere('date-fns-tz/formatInTimeZone') as typeof import('date-fns-tz')).formatInTimeZone(date, timeZone, pattern)

/** `2026-11-30 17:00 Asia/Tokyo`: a lock's times as the reader's zone shows them (UTC when the zone is unknown). */
export function formatLockTime (ms: number, timeZone: string): string {
  try {
    return `${formatInTimeZone(new Date(ms), timeZone, 'yyyy-MM-dd HH:mm')} ${timeZone}`
  } catch {
    return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`
  }
}

/** "bo until 2026-11-30 17:00 Europe/Paris (rigging)" */
export function describeLock (lock: LockEntry, timeZone: string): string {
  return `${lock.holder.name} until ${formatLockTime(lock.expires, timeZone)}${lock.reason === '' ? '' : ` (${lock.reason})`}`
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
