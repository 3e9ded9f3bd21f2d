import { GasError } from '../errors.js'

/** `gas lock` without --ttl: a working day, so a lock forgotten at night frees itself by morning */
export const DEFAULT_LOCK_TTL_MS = 8 * 3600_000
/** why: a lease longer than a month is a claim nobody remembers making; renew it instead */
export const MAX_LOCK_TTL_MS = 30 * 24 * 3600_000

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3600_000, d: 24 * 3600_000, w: 7 * 24 * 3600_000 }

/** `8h`, `30m`, `1h30m`, `2d`, `90s`, `1w` → milliseconds (E_BAD_TTL otherwise). */
export function parseTtl (text: string): number {
  const trimmed = text.trim().toLowerCase()
  if (!/^(?:\d{1,6}[smhdw])+$/.test(trimmed)) {
    throw new GasError('E_BAD_TTL', `"${text}" is not a lock duration: use a number and a unit, e.g. 8h, 30m, 1h30m, 2d (s m h d w)`, { ttl: text })
  }
  let ms = 0
  for (const [, n, unit] of trimmed.matchAll(/(\d+)([smhdw])/g)) ms += Number(n) * UNIT_MS[unit]
  if (ms < 1000) throw new GasError('E_BAD_TTL', `a lock must last at least 1s (got "${text}")`, { ttl: text })
  if (ms > MAX_LOCK_TTL_MS) throw new GasError('E_BAD_TTL', `a lock may last at most 30d (got "${text}"); lock again to renew it`, { ttl: text })
  return ms
}
