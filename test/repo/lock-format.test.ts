import { formatInTimeZone } from 'date-fns-tz'
import { describe, expect, it } from 'vitest'
import { formatWallClock } from '../../src/repo/lock-format.js'

describe('a lock\'s time as the reader\'s zone shows it', () => {
  it('is the wall clock date-fns-tz gives, across DST changes, half-hour zones and midnight', () => {
    const zones = ['UTC', 'Europe/Paris', 'America/Los_Angeles', 'Asia/Tokyo', 'Asia/Kolkata', 'Australia/Lord_Howe', 'America/St_Johns', 'Pacific/Chatham']
    // every 7 h 13 min over two years: both DST changes of each zone, every hour of the day, midnights
    const start = Date.UTC(2026, 0, 1)
    for (let ms = start; ms < start + 2 * 365 * 86_400_000; ms += (7 * 60 + 13) * 60_000) {
      for (const zone of zones) expect(formatWallClock(ms, zone)).toBe(`${formatInTimeZone(new Date(ms), zone, 'yyyy-MM-dd HH:mm')} ${zone}`)
    }
    expect(formatWallClock(Date.UTC(2026, 2, 29, 1, 0), 'Europe/Paris')).toBe('2026-03-29 03:00 Europe/Paris')
    expect(formatWallClock(Date.UTC(2026, 11, 31, 23, 59), 'UTC')).toBe('2026-12-31 23:59 UTC')
    expect(formatWallClock(Date.UTC(2026, 11, 31, 15, 0), 'Asia/Tokyo')).toBe('2027-01-01 00:00 Asia/Tokyo')
  })

  it('an unknown zone shows UTC, named so', () => {
    expect(formatWallClock(Date.UTC(2026, 10, 30, 17, 5), 'Mars/Olympus_Mons')).toBe('2026-11-30 17:05 UTC')
  })
})
