import { describe, expect, it } from 'vitest'
import { bytesBetween, jointRateAt, nextChange, nextJointWindow, parseSchedule, rateAt, checkSchedule } from '../../src/schedule/schedule.js'
import { intervalsOf, isOpen, parseWindow } from '../../src/schedule/window.js'

const at = (iso: string): number => Date.parse(iso)
const iso = (ms: number | undefined): string | undefined => ms === undefined ? undefined : new Date(ms).toISOString()

describe('transfer windows', () => {
  it('parses days, times, zone and rate, and normalises the text', () => {
    expect(parseWindow('Mon-Fri 22:00-07:00 Asia/Tokyo')).toMatchObject({ days: [1, 2, 3, 4, 5], start: 1320, end: 420, zone: 'Asia/Tokyo', text: 'Mon-Fri 22:00-07:00 Asia/Tokyo' })
    expect(parseWindow('sat,sun 00:00-24:00 UTC 5MB/s')).toMatchObject({ days: [0, 6], start: 0, end: 1440, limit: 5e6 })
    expect(parseWindow('Fri-Mon 01:00-02:00 Europe/Berlin').days).toEqual([0, 1, 5, 6])
    expect(parseWindow('Fri-Mon 01:00-02:00 Europe/Berlin').text).toBe('Mon,Fri-Sun 01:00-02:00 Europe/Berlin')
    expect(parseWindow('Sun,Sat,Tue 01:00-02:00 UTC').text).toBe('Tue,Sat-Sun 01:00-02:00 UTC')
    expect(parseWindow('daily 01:00-02:00 UTC').text).toBe('daily 01:00-02:00 UTC')
    expect(parseWindow('Wednesday 01:00-02:00 UTC').days).toEqual([3])
  })

  it.each([
    ['Mon-Fry 22:00-07:00 Asia/Tokyo', 'the days "Mon-Fry"'],
    ['Mon--Fri 22:00-07:00 Asia/Tokyo', 'the days'],
    ['Mon-Fri 22:00 Asia/Tokyo', 'the times "22:00"'],
    ['Mon-Fri 25:00-07:00 Asia/Tokyo', 'not a time of day'],
    ['Mon-Fri 22:61-07:00 Asia/Tokyo', 'not a time of day'],
    ['Mon-Fri 24:00-07:00 Asia/Tokyo', 'not a time of day'],
    ['Mon-Fri 7-8 Asia/Tokyo', '"7" is not a time of day'],
    ['Mon-Fri 07:00-07:00 Asia/Tokyo', 'empty'],
    ['Mon-Fri 22:00-07:00 Asia/Tokio', 'the time zone "Asia/Tokio"'],
    ['Mon-Fri 22:00-07:00 Tokyo', 'the time zone'],
    ['Mon-Fri 22:00-07:00 Asia/Tokyo fast', 'the rate "fast"'],
    ['Mon-Fri 22:00-07:00', '2 part(s)'],
    ['', 'part(s)']
  ])('refuses %j naming the wrong part', (text, part) => {
    expect(() => parseWindow(text)).toThrow(part)
    try { parseWindow(text) } catch (err) { expect(err).toMatchObject({ code: 'E_BAD_SCHEDULE' }) }
  })

  it('a window crossing midnight belongs to the day it starts on (Tokyo, Mon-Fri nights)', () => {
    const w = parseWindow('Mon-Fri 22:00-07:00 Asia/Tokyo')
    expect(isOpen(w, at('2026-12-04T23:30:00+09:00'))).toBe(true) // Friday night
    expect(isOpen(w, at('2026-12-05T06:59:00+09:00'))).toBe(true) // Saturday morning, Friday's window
    expect(isOpen(w, at('2026-12-05T07:00:00+09:00'))).toBe(false)
    expect(isOpen(w, at('2026-12-05T23:00:00+09:00'))).toBe(false) // Saturday night
    expect(isOpen(w, at('2026-12-07T06:00:00+09:00'))).toBe(false) // Monday morning: Sunday had no window
    expect(isOpen(w, at('2026-12-07T22:00:00+09:00'))).toBe(true)
  })

  it('Europe/Berlin: the spring-forward night is an hour shorter, the fall-back night an hour longer', () => {
    const w = parseWindow('daily 01:00-05:00 Europe/Berlin')
    const length = (day: string): number => {
      const [i] = intervalsOf(w, at(`${day}T12:00:00Z`) - 86_400_000 / 2, at(`${day}T12:00:00Z`))
      return (i.end - i.start) / 3_600_000
    }
    expect(length('2026-03-28')).toBe(4)
    expect(length('2026-03-29')).toBe(3)
    expect(length('2026-10-25')).toBe(5)
    const [spring] = intervalsOf(w, at('2026-03-29T00:00:00Z'), at('2026-03-29T05:00:00Z'))
    expect(iso(spring.start)).toBe('2026-03-29T00:00:00.000Z') // 01:00 CET
    expect(iso(spring.end)).toBe('2026-03-29T03:00:00.000Z') // 05:00 CEST
  })

  it('a window that starts inside the skipped hour opens when the clocks jump (Berlin and Los Angeles)', () => {
    const berlin = parseWindow('Sun 02:30-04:00 Europe/Berlin')
    const [b] = intervalsOf(berlin, at('2026-03-29T00:00:00Z'), at('2026-03-29T06:00:00Z'))
    expect(iso(b.start)).toBe('2026-03-29T01:00:00.000Z') // 03:00 CEST, the first minute that exists
    expect(iso(b.end)).toBe('2026-03-29T02:00:00.000Z')
    const la = parseWindow('Sun 02:30-05:00 America/Los_Angeles')
    const [l] = intervalsOf(la, at('2026-03-08T08:00:00Z'), at('2026-03-08T14:00:00Z'))
    expect(iso(l.start)).toBe('2026-03-08T10:00:00.000Z') // 03:00 PDT
    expect(iso(l.end)).toBe('2026-03-08T12:00:00.000Z') // 05:00 PDT
  })

  it('a time that occurs twice when clocks go back means its first occurrence (Los Angeles, November)', () => {
    const la = parseWindow('Sun 01:30-03:00 America/Los_Angeles')
    const [l] = intervalsOf(la, at('2026-11-01T06:00:00Z'), at('2026-11-01T12:00:00Z'))
    expect(iso(l.start)).toBe('2026-11-01T08:30:00.000Z') // 01:30 PDT, the first time the clock shows it
    expect(iso(l.end)).toBe('2026-11-01T11:00:00.000Z') // 03:00 PST
  })
})

describe('schedules', () => {
  const tokyo = parseSchedule(['Mon-Fri 22:00-07:00 Asia/Tokyo 20MB/s', 'Sat-Sun 00:00-24:00 Asia/Tokyo'], { limit: 50e6, outsideLimit: 0 })
  const berlin = parseSchedule(['Mon-Fri 20:00-06:00 Europe/Berlin'], { limit: 8e6, outsideLimit: 256e3 })

  it('gives each window its rate, the default inside others, the outside limit elsewhere', () => {
    expect(rateAt(tokyo, at('2026-12-07T23:00:00+09:00'))).toBe(20e6)
    expect(rateAt(tokyo, at('2026-12-05T12:00:00+09:00'))).toBe(50e6)
    expect(rateAt(tokyo, at('2026-12-07T12:00:00+09:00'))).toBe(0)
    expect(rateAt(parseSchedule([]), at('2026-12-07T12:00:00Z'))).toBe(Infinity)
    expect(rateAt(parseSchedule(['daily 01:00-02:00 UTC']), at('2026-12-07T12:00:00Z'))).toBe(0)
    expect(nextChange(tokyo, at('2026-12-07T12:00:00+09:00'))).toBe(at('2026-12-07T22:00:00+09:00'))
    expect(nextChange(parseSchedule([]), 0)).toBeUndefined()
  })

  it('both ends must be open: a Tokyo receiver and a Berlin sender meet in their overlap', () => {
    // Monday 7 December 2026: Tokyo 22:00-07:00 JST = 13:00-22:00Z; Berlin 20:00-06:00 CET = 19:00-05:00Z
    const from = at('2026-12-07T09:00:00Z')
    expect(jointRateAt(tokyo, berlin, at('2026-12-07T14:00:00Z'))).toBe(256e3) // Tokyo open, Berlin outside: its small budget
    const strict = { ...berlin, outsideLimit: 0 }
    const w = nextJointWindow(tokyo, strict, from)
    expect(iso(w?.start)).toBe('2026-12-07T19:00:00.000Z')
    expect(iso(w?.end)).toBe('2026-12-07T22:00:00.000Z')
    expect(w?.rate).toBe(8e6)
    // 3 hours at 8 MB/s
    expect(bytesBetween(tokyo, strict, from, at('2026-12-08T09:00:00Z'))).toBe(3 * 3600 * 8e6)
    expect(nextJointWindow(parseSchedule(['Sat 01:00-02:00 UTC'], { outsideLimit: 0 }), parseSchedule(['Sun 01:00-02:00 UTC'], { outsideLimit: 0 }), from)).toBeUndefined()
    expect(nextJointWindow(parseSchedule([]), parseSchedule([]), from)).toEqual({ start: from, end: undefined, rate: Infinity })
  })

  it('checks schedules that come from files and peers', () => {
    expect(checkSchedule(JSON.parse(JSON.stringify(tokyo)))).toEqual(tokyo)
    expect(() => checkSchedule({ windows: 'x' })).toThrow('list of windows')
    expect(() => checkSchedule(null)).toThrow('list of windows')
    expect(() => checkSchedule({ windows: ['Mon 25:00-01:00 UTC'] })).toThrow('not a time of day')
    expect(() => parseSchedule([], { limit: -1 })).toThrow('the limit')
  })
})
