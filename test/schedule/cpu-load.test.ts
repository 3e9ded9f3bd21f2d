import { describe, expect, it } from 'vitest'
import { BUSY_RATE_FACTOR, BusyBackoff, otherLoad, sampleCpu, type CpuSample } from '../../src/schedule/cpu-load.js'

describe('busy backoff', () => {
  it('counts only other programs\' CPU time', () => {
    const a: CpuSample = { busyMs: 1000, totalMs: 10_000, ownMs: 100 }
    expect(otherLoad(a, { busyMs: 1900, totalMs: 11_000, ownMs: 200 })).toBeCloseTo(0.8)
    // our own transfer keeping a core busy is not "the machine is busy"
    expect(otherLoad(a, { busyMs: 1900, totalMs: 11_000, ownMs: 1000 })).toBe(0)
    expect(otherLoad(a, a)).toBe(0)
  })

  it('backs off above the threshold and recovers below it', () => {
    let t: CpuSample = { busyMs: 0, totalMs: 0, ownMs: 0 }
    const backoff = new BusyBackoff(() => 0.8, () => t)
    t = { busyMs: 900, totalMs: 1000, ownMs: 0 }
    expect(backoff.update()).toBe(BUSY_RATE_FACTOR)
    t = { busyMs: 1000, totalMs: 2000, ownMs: 0 }
    expect(backoff.update()).toBe(1)
    expect(backoff.load).toBeCloseTo(0.1)
  })

  it('reads the real machine', () => {
    const s = sampleCpu()
    expect(s.totalMs).toBeGreaterThan(0)
    expect(s.busyMs).toBeLessThanOrEqual(s.totalMs)
    expect(new BusyBackoff(() => 0.8).update()).toBeGreaterThan(0)
  })
})
