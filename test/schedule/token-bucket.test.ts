import { describe, expect, it } from 'vitest'
import { ManualClock } from '../../src/clock.js'
import { TokenBucket } from '../../src/schedule/token-bucket.js'

/** Sends `frames` frames of `size` through the bucket as fast as it lets them, on the manual clock. */
async function pump (clock: ManualClock, bucket: TokenBucket, frames: number, size: number, untilMs: number): Promise<number> {
  let sent = 0
  const run = (async () => { for (let i = 0; i < frames; i++) { await bucket.take(size); sent++ } })()
  while (clock.now() < untilMs && sent < frames) {
    await new Promise((resolve) => setImmediate(resolve))
    if (!clock.step()) await new Promise((resolve) => setImmediate(resolve))
  }
  void run.catch(() => {})
  return sent
}

describe('token bucket', () => {
  it('holds a 5 MB/s limit within 1% over 30 simulated seconds of 64 KiB frames', async () => {
    const clock = new ManualClock()
    const bucket = new TokenBucket({ clock, rate: () => 5e6 })
    await pump(clock, bucket, 1e9, 65536, 30_000)
    const rate = bucket.passed / (clock.now() / 1000)
    expect(rate / 5e6).toBeGreaterThan(0.99)
    expect(rate / 5e6).toBeLessThan(1.01)
  })

  it('follows the rate as it changes, holds at 0 and lets everything through when unlimited', async () => {
    const clock = new ManualClock()
    let rate = 0
    const bucket = new TokenBucket({ clock, rate: () => rate })
    let done = false
    void bucket.take(1000).then(() => { done = true })
    clock.advance(10_000)
    await Promise.resolve()
    expect(done).toBe(false)
    expect(bucket.waiting).toBe(1)
    rate = 1e6
    bucket.changed()
    // nothing saved up while held: 1000 bytes at 1 MB/s take a millisecond
    clock.advance(1)
    await new Promise((resolve) => setImmediate(resolve))
    expect(done).toBe(true)
    rate = Infinity
    for (let i = 0; i < 100; i++) await bucket.take(1e9)
    expect(bucket.passed).toBe(1000 + 100e9)
    rate = 2e6
    const sent = await pump(clock, bucket, 1e9, 16384, clock.now() + 10_000)
    expect(sent * 16384 / 10 / 2e6).toBeGreaterThan(0.98)
  })

  it('passes a frame larger than the burst and pays the debt afterwards', async () => {
    const clock = new ManualClock()
    const bucket = new TokenBucket({ clock, rate: () => 100_000, minBurst: 1000 })
    const start = clock.now()
    await pump(clock, bucket, 3, 50_000, 100_000)
    // 150 kB at 100 kB/s, of which the first frame waits only for a full burst
    expect(clock.now() - start).toBeGreaterThanOrEqual(1000)
    expect(clock.now() - start).toBeLessThan(1600)
  })

  it('abort fails every waiter', async () => {
    const clock = new ManualClock()
    const bucket = new TokenBucket({ clock, rate: () => 0 })
    const waiting = bucket.take(10)
    bucket.abort(new Error('stopped'))
    await expect(waiting).rejects.toThrow('stopped')
    expect(clock.pendingTimers).toBe(0)
  })
})
