import { afterEach, describe, expect, it, vi } from 'vitest'
import { Ledger, PeerLedger, RateMeter, systemClock } from '../../src/peer/session/ledger.js'
import { ManualClock } from '../../src/clock.js'
import { INITIAL_WINDOW_BYTES, MAX_IN_FLIGHT_REQUESTS, MAX_WINDOW_BYTES, MIN_WINDOW_BYTES, MIN_WINDOW_RTT_MS, PeerWindow, UNKNOWN_SIZE_ESTIMATE, WINDOW_GAIN } from '../../src/peer/session/want-manager.js'

const KiB = 1024
const id = (n: number): string => n.toString(16).padStart(64, '0')

/** Simulates a link of `bandwidth` B/s and `rttMs` with a receiver that keeps its window full. */
function run (bandwidth: number, rttMs: number, ms: number): PeerWindow {
  const clock = new ManualClock()
  const w = new PeerWindow(clock)
  const chunk = 64 * KiB
  let next = 0
  let wireFreeAt = 0
  const arrivals: Array<{ at: number, id: string }> = []
  const fill = (): void => {
    while (w.canRequest(chunk)) {
      const rid = id(next++)
      w.requested(rid, chunk)
      // request reaches the server after rtt/2, the link serialises, the data takes rtt/2 back
      const start = Math.max(clock.now() + rttMs / 2, wireFreeAt)
      wireFreeAt = start + chunk / bandwidth * 1000
      arrivals.push({ at: wireFreeAt + rttMs / 2, id: rid })
    }
  }
  fill()
  while (clock.now() < ms) {
    arrivals.sort((a, b) => a.at - b.at)
    const a = arrivals.shift()!
    clock.advance(a.at - clock.now())
    w.completed(a.id, chunk)
    fill()
  }
  return w
}

describe('PeerWindow', () => {
  it('starts at the initial window and always lets one request through', () => {
    const w = new PeerWindow(new ManualClock())
    expect(w.windowBytes).toBe(INITIAL_WINDOW_BYTES)
    expect(w.canRequest(MAX_WINDOW_BYTES * 2)).toBe(true)
    w.requested(id(1), INITIAL_WINDOW_BYTES)
    expect(w.canRequest(1)).toBe(false)
    expect(w.has(id(1))).toBe(true)
    expect(w.expectedMs(1)).toBe(Infinity)
    expect(w.dropped(id(1))).toBe(true)
    expect(w.dropped(id(1))).toBe(false)
    expect(w.completed(id(2), 10)).toBe(false)
    w.requested(id(3))
    w.requested(id(3))
    expect(w.inFlightBytes).toBe(UNKNOWN_SIZE_ESTIMATE)
    expect(w.ids()).toEqual([id(3)])
    expect(w.clear()).toEqual([id(3)])
    expect(w.inFlightCount).toBe(0)
  })

  it('grows to about gain × the bandwidth-delay product of a fast, long link', () => {
    const w = run(10e6, 200, 10_000)
    const bdp = 10e6 * 0.2
    expect(w.deliveryRate).toBeGreaterThan(0.9 * 10e6)
    expect(w.deliveryRate).toBeLessThan(1.2 * 10e6)
    expect(w.minRtt).toBeGreaterThanOrEqual(200)
    expect(w.windowBytes).toBeGreaterThan(bdp)
    expect(w.windowBytes).toBeLessThan(WINDOW_GAIN * bdp * 1.5)
    expect(w.expectedMs(64 * KiB)).toBeGreaterThan(200)
  })

  it('stays small on a slow link and is capped on a huge one', () => {
    expect(run(64 * KiB, 40, 20_000).windowBytes).toBeLessThan(MIN_WINDOW_BYTES * 1.1)
    expect(run(2e9, 500, 6_000).windowBytes).toBe(MAX_WINDOW_BYTES)
  })

  it('on a sub-millisecond link sizes the window for MIN_WINDOW_RTT_MS, not for the measured RTT', () => {
    const w = run(100e6, 0.5, 2_000)
    expect(w.minRtt).toBeLessThan(2)
    expect(w.windowBytes).toBeGreaterThanOrEqual(0.9 * WINDOW_GAIN * w.deliveryRate * MIN_WINDOW_RTT_MS / 1000)
    expect(w.windowBytes).toBeGreaterThan(4 * 1024 * KiB) // more than the transport's 4 MiB send buffer, so the sender never runs dry
  })

  it('tops the window up in eighths, not per object (fewer WANT messages), and always when empty', () => {
    const w = new PeerWindow(new ManualClock())
    expect(w.wantsRefill()).toBe(true)
    const size = w.windowBytes / 16
    for (let i = 0; i < 16; i++) w.requested(id(i), size)
    expect(w.wantsRefill()).toBe(false)
    w.completed(id(0), size)
    expect(w.wantsRefill()).toBe(false) // a sixteenth free: wait for more
    w.completed(id(1), size)
    expect(w.wantsRefill()).toBe(true) // an eighth free
    for (let i = 2; i < 16; i++) w.dropped(id(i))
    expect(w.inFlightCount).toBe(0)
    expect(w.wantsRefill()).toBe(true)
  })

  it('caps the number of tiny requests', () => {
    const w = new PeerWindow(new ManualClock())
    for (let i = 0; i < MAX_IN_FLIGHT_REQUESTS; i++) w.requested(id(i), 1)
    expect(w.canRequest(1)).toBe(false)
  })
})

describe('ledger', () => {
  it('RateMeter follows a steady rate and decays when idle', () => {
    const clock = new ManualClock()
    const meter = new RateMeter(clock, 1000)
    for (let i = 0; i < 1000; i++) { clock.advance(10); meter.add(10_000) }
    expect(meter.rate()).toBeGreaterThan(0.95e6)
    expect(meter.rate()).toBeLessThan(1.05e6)
    clock.advance(3000)
    expect(meter.rate()).toBeLessThan(0.13e6)
  })

  it('PeerLedger and Ledger add up payload and wire bytes per peer', () => {
    const ledger = new Ledger(new ManualClock())
    const a = ledger.peer('a')
    expect(ledger.peer('a')).toBe(a)
    a.frameSent(100); a.payloadSent(90, false); a.payloadSent(10, true)
    a.frameReceived(50); a.payloadReceived(40, true)
    ledger.peer('b').payloadReceived(5, true)
    expect(ledger.totals()).toEqual({ objectsSent: 1, objectsReceived: 2, bytesSent: 100, bytesReceived: 45, wireBytesSent: 100, wireBytesReceived: 50 })
    expect(ledger.peers().map((p) => p.peer)).toEqual(['a', 'b'])
    expect(a.debtRatio()).toBeCloseTo(100 / 41)
    expect(new PeerLedger('x').sendRate.rate()).toBe(0)
    expect(new Ledger().totals().bytesSent).toBe(0)
  })

  describe('systemClock (driven by fake timers, so the test does not depend on wall time)', () => {
    afterEach(() => { vi.useRealTimers() })

    it('fires a timer once it is due, and never a cancelled one', () => {
      vi.useFakeTimers()
      const fired: string[] = []
      const cancel = systemClock.after(1, () => fired.push('cancelled'))
      systemClock.after(1, () => fired.push('kept'))
      cancel()
      vi.advanceTimersByTime(0)
      expect(fired).toEqual([])
      vi.advanceTimersByTime(5)
      expect(fired).toEqual(['kept'])
    })
  })

  it('ManualClock fires timers in due order, only when advanced', async () => {
    const clock = new ManualClock()
    const fired: number[] = []
    clock.after(20, () => fired.push(20))
    const cancel = clock.after(5, () => fired.push(5))
    clock.after(10, () => { fired.push(10); clock.after(1, () => fired.push(11)) })
    cancel()
    expect(clock.pending).toBe(2)
    clock.advance(9)
    expect(fired).toEqual([])
    clock.advance(2)
    expect(fired).toEqual([10, 11])
    await clock.advanceAsync(20)
    expect(fired).toEqual([10, 11, 20])
    expect(clock.now()).toBe(31)
    await expect(clock.runUntil(() => false, { limitMs: 5 })).rejects.toThrow(/not done after 5 ms/)
  })
})
