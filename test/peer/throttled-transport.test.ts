import { describe, expect, it } from 'vitest'
import { ManualClock } from '../../src/clock.js'
import { encodeMessage } from '../../src/peer/wire/messages.js'
import { MemoryTransport } from '../../src/peer/transport/memory-transport.js'
import { carriesContent, throttleTransport } from '../../src/peer/transport/throttled-transport.js'
import { TransportBase, type FrameLease } from '../../src/peer/transport/transport.js'
import { TokenBucket } from '../../src/schedule/token-bucket.js'

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
})

/** A transport that delivers what the test hands it, with a lease, as the TCP transport does with its pooled receive buffers. */
class LeasingTransport extends TransportBase {
  async send (): Promise<void> {}
  close (): void { this.finish() }
  receive (frame: Uint8Array, lease: FrameLease): void { this.deliver(frame, lease) }
}

describe('throttled transport and receive-buffer leases', () => {
  it('hands the lease on with a frame it delivers at once (so the buffer is reused), and none with a frame it delays', async () => {
    const clock = new ManualClock()
    const inner = new LeasingTransport('peer')
    let rate = Infinity
    const downContent = new TokenBucket({ clock, rate: () => rate, minBurst: 1000 })
    const downControl = new TokenBucket({ clock, rate: () => Infinity })
    const receiver = throttleTransport(inner, { downContent, downControl })
    const leases: Array<FrameLease | undefined> = []
    receiver.onFrame((_frame, lease) => leases.push(lease))
    const lease: FrameLease = { hold: () => () => {} }
    inner.receive(block(0, 1000), lease)
    expect(leases).toEqual([lease])
    // a closed window: the frame waits for tokens, past its delivery, so it is kept for good
    rate = 0
    downContent.changed()
    inner.receive(block(0, 5000), lease)
    rate = 1_000_000
    downContent.changed()
    for (let i = 0; i < 100 && leases.length < 2; i++) {
      clock.advance(10)
      await new Promise((resolve) => setImmediate(resolve))
    }
    expect(leases).toEqual([lease, undefined])
  })
})
