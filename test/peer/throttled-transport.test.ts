import { describe, expect, it } from 'vitest'
import { ManualClock } from '../../src/clock.js'
import { encodeMessage } from '../../src/peer/wire/messages.js'
import { MemoryTransport } from '../../src/peer/transport/memory-transport.js'
import { carriesContent, throttleTransport } from '../../src/peer/transport/throttled-transport.js'
import { TokenBucket } from '../../src/schedule/token-bucket.js'
import { FramePool } from '../../src/peer/transport/frame-pool.js'
import type { FrameLease, Transport } from '../../src/peer/transport/transport.js'

const id = (c: string): string => c.repeat(64)
const block = (objectType: number, size = 1000): Uint8Array => encodeMessage({ type: 'BLOCK', id: id('a'), objectType, encoding: 0, rawLength: size, totalLength: size, offset: 0, bytes: new Uint8Array(size) })

describe('throttled transport', () => {
  it('tells content frames (chunks, alone or batched) from metadata and control frames', () => {
    expect(carriesContent(block(0))).toBe(true)
    expect(carriesContent(block(2))).toBe(false) // an asset
    expect(carriesContent(encodeMessage({ type: 'BATCH', blocks: [{ type: 'BLOCK', id: id('b'), objectType: 0, encoding: 0, rawLength: 10, totalLength: 10, offset: 0, bytes: new Uint8Array(10) }] }))).toBe(true)
    expect(carriesContent(encodeMessage({ type: 'BATCH', blocks: [{ type: 'BLOCK', id: id('b'), objectType: 7, encoding: 0, rawLength: 10, totalLength: 10, offset: 0, bytes: new Uint8Array(10) }] }))).toBe(false)
    expect(carriesContent(encodeMessage({ type: 'LARGE_BATCH', blocks: [{ type: 'BLOCK', id: id('b'), objectType: 0, encoding: 0, rawLength: 10, totalLength: 10, offset: 0, bytes: new Uint8Array(10) }] }))).toBe(true)
    expect(carriesContent(encodeMessage({ type: 'LARGE_BATCH', blocks: [{ type: 'BLOCK', id: id('b'), objectType: 7, encoding: 0, rawLength: 10, totalLength: 10, offset: 0, bytes: new Uint8Array(10) }] }))).toBe(false)
    expect(carriesContent(encodeMessage({ type: 'WANT', ids: [id('c')], mode: 'block', priority: 1 }))).toBe(false)
    expect(carriesContent(new Uint8Array([1]))).toBe(false)
  })

  it('paces content sent to the window\'s rate while control frames pass at once', async () => {
    const clock = new ManualClock()
    const [a, b] = MemoryTransport.pair()
    let rate = 0
    const upContent = new TokenBucket({ clock, rate: () => rate, minBurst: 1000 })
    const sender = throttleTransport(a, { upContent })
    const got: number[] = []
    b.onFrame((f) => got.push(f[1]))
    const sending = Promise.all([sender.send(block(0)), sender.send(block(0))])
    await sender.send(encodeMessage({ type: 'CANCEL', ids: [id('d')] }))
    await new Promise((resolve) => setImmediate(resolve))
    expect(got).toEqual([7]) // the CANCEL went; both content frames wait for the window
    rate = 10_000 // opens at 10 kB/s
    upContent.changed()
    for (let i = 0; i < 400 && got.length < 3; i++) {
      clock.advance(10)
      await new Promise((resolve) => setImmediate(resolve))
    }
    await sending
    expect(got).toEqual([7, 6, 6])
    // two frames of ~1 kB at 10 kB/s: about 0.2 s of simulated time
    expect(clock.now()).toBeGreaterThan(150)
    expect(clock.now()).toBeLessThan(400)
    expect(sender.remoteLabel).toBe(a.remoteLabel)
    expect(sender.closed).toBe(false)
    sender.close()
    expect(b.closed || a.closed).toBe(true)
  })

  it('delays delivery of received content in order, and drops what arrives after close', async () => {
    const clock = new ManualClock()
    const [a, b] = MemoryTransport.pair()
    const downContent = new TokenBucket({ clock, rate: () => 5_000, minBurst: 1000 })
    const receiver = throttleTransport(b, { downContent })
    const got: number[] = []
    receiver.onFrame((f) => got.push(f.byteLength))
    await a.send(block(0, 1000))
    await a.send(encodeMessage({ type: 'HAVE', ids: [id('e')] }))
    await a.send(block(0, 2000))
    await new Promise((resolve) => setImmediate(resolve))
    expect(got).toEqual([]) // the first chunk waits for tokens, and what came after it waits behind it
    for (let i = 0; i < 200 && got.length < 3; i++) {
      clock.advance(10)
      await new Promise((resolve) => setImmediate(resolve))
    }
    expect(got.map((n) => n > 1000)).toEqual([true, false, true])
    const closedSeen = new Promise<void>((resolve) => receiver.onClose(() => resolve()))
    a.close()
    await closedSeen
  })
  it('passes a pooled frame\'s lease through when it is delivered at once, so the receive buffer is reused; a frame that waits for tokens is kept for good', () => {
    const clock = new ManualClock()
    // the side of a transport that reuses its receive buffers (tcp-transport.ts): a FramePool, delivered with the lease
    let listener: ((frame: Uint8Array, lease?: FrameLease) => void) | undefined
    const inner: Transport = { closed: false, remoteLabel: 'pooled', send: async () => {}, onFrame: (cb) => { listener = cb }, onClose: () => {}, close: () => {} }
    const pool = new FramePool(2000)
    const deliver = (): Buffer => {
      const pooled = pool.take()
      const frame = Buffer.from(block(0, 1000))
      frame.copy(pooled.buffer)
      listener!(pooled.buffer.subarray(0, frame.length), pooled)
      pooled.delivered()
      return pooled.buffer
    }
    // unlimited, as a sync's transports are wrapped (TransferLimits.throttle gives all four buckets)
    let rate = Infinity
    const bucket = (): TokenBucket => new TokenBucket({ clock, rate: () => rate, minBurst: 1000 })
    const receiver = throttleTransport(inner, { upContent: bucket(), upControl: bucket(), downContent: bucket(), downControl: bucket() })
    const releases: Array<() => void> = []
    const leased: boolean[] = []
    receiver.onFrame((_frame, lease) => {
      leased.push(lease !== undefined)
      if (lease !== undefined) releases.push(lease.hold())
    })
    const first = deliver()
    expect(leased).toEqual([true])
    releases.shift()!()
    expect(deliver()).toBe(first) // the buffer came back to the pool and was used again
    releases.shift()!()
    // no tokens: the frame waits, and is delivered later without a lease (its buffer is not reused under it)
    rate = 0
    const waiting = bucket()
    const slow = throttleTransport(inner, { downContent: waiting, downControl: waiting })
    slow.onFrame(() => {})
    waiting.tryTake(1000)
    const kept = deliver()
    expect(deliver()).not.toBe(kept)
  })
})
