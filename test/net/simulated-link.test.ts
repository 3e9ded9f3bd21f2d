import { describe, expect, it } from 'vitest'
import { isGasError } from '../../src/errors.js'
import { ManualClock } from '../../src/clock.js'
import { SimulatedLink, SimulatedNetwork } from '../../src/peer/transport/simulated-link.js'
import type { Transport } from '../../src/peer/transport/transport.js'

const KiB = 1024
const MiB = 1024 * KiB

function frameOf (seq: number, size: number): Uint8Array {
  const f = new Uint8Array(size)
  new DataView(f.buffer).setUint32(0, seq)
  return f
}
const seqOf = (f: Uint8Array): number => new DataView(f.buffer, f.byteOffset).getUint32(0)

function closedWith (t: Transport): Promise<Error | undefined> {
  return new Promise(resolve => t.onClose(resolve))
}

/** a seeded LCG so jitter/loss runs are reproducible */
function seeded (seed: number): () => number {
  return () => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed / 0x7fffffff }
}

describe('SimulatedLink (in simulated time: a ManualClock drives it, so wall time and machine load do not matter)', () => {
  it('paces 8 MiB at 4 MB/s: arrives after size/bandwidth + latency, and the sender is held back', async () => {
    const clock = new ManualClock()
    const bandwidth = 4_000_000
    const [a, b] = SimulatedLink.pair({ bandwidth, latencyMs: 10, clock })
    const total = 8 * MiB
    let received = 0
    let end = -1
    b.onFrame(f => {
      received += f.byteLength
      if (received === total) end = clock.now()
    })
    let sendBlockedMs = 0
    void (async () => {
      for (let i = 0; i < total / (64 * KiB); i++) {
        const t0 = clock.now()
        await a.send(frameOf(i, 64 * KiB))
        sendBlockedMs += clock.now() - t0
      }
    })()
    await clock.runUntil(() => end >= 0, { stepMs: 5 })
    const expectedMs = total / bandwidth * 1000 + 10
    expect(end).toBeGreaterThanOrEqual(expectedMs - 1)
    expect(end).toBeLessThanOrEqual(expectedMs + 5)
    // the sender was paced, not allowed to queue 8 MiB at once
    expect(sendBlockedMs).toBeGreaterThan(1500)
    a.close()
  })

  it('a 100 MB/s link delivers at 100 MB/s', async () => {
    const clock = new ManualClock()
    const bandwidth = 100_000_000
    const [a, b] = SimulatedLink.pair({ bandwidth, latencyMs: 1, clock })
    const total = 16 * MiB
    let received = 0
    b.onFrame(f => { received += f.byteLength })
    const frame = new Uint8Array(64 * KiB)
    void (async () => { for (let i = 0; i < total / frame.byteLength; i++) await a.send(frame) })()
    await clock.runUntil(() => received === total, { stepMs: 1 })
    const rate = total / (clock.now() / 1000)
    expect(rate).toBeGreaterThan(bandwidth * 0.95)
    expect(rate).toBeLessThan(bandwidth * 1.05)
    a.close()
  })

  it('adds one-way latency, exactly', async () => {
    const clock = new ManualClock()
    const [a, b] = SimulatedLink.pair({ latencyMs: 60, clock })
    let arrived = -1
    b.onFrame(() => { arrived = clock.now() })
    await a.send(Uint8Array.of(1))
    await clock.advanceAsync(59)
    expect(arrived).toBe(-1)
    await clock.advanceAsync(1)
    expect(arrived).toBe(60)
    a.close()
  })

  it('jitter delays but never reorders', async () => {
    const clock = new ManualClock()
    const [a, b] = SimulatedLink.pair({ latencyMs: 5, jitterMs: 40, random: seeded(1), clock })
    const got: number[] = []
    const times: number[] = []
    const n = 200
    b.onFrame(f => {
      got.push(seqOf(f))
      times.push(clock.now())
    })
    for (let i = 0; i < n; i++) {
      await a.send(frameOf(i, 16))
      if (i % 20 === 0) await clock.advanceAsync(2)
    }
    await clock.runUntil(() => got.length === n)
    expect(got).toEqual([...Array(n).keys()])
    expect(times).toEqual([...times].sort((x, y) => x - y))
    expect(Math.max(...times)).toBeGreaterThan(5 + 18) // delayed by jitter beyond latency and the sender's pauses
    a.close()
  })

  it('loss slows delivery but loses nothing and keeps order', async () => {
    const run = async (loss: number): Promise<{ ms: number, got: number[] }> => {
      const clock = new ManualClock()
      const [a, b] = SimulatedLink.pair({ latencyMs: 5, loss, random: seeded(7), bandwidth: 2_000_000, clock })
      const got: number[] = []
      const n = 100
      b.onFrame(f => { got.push(seqOf(f)) })
      void (async () => { for (let i = 0; i < n; i++) await a.send(frameOf(i, 2 * KiB)) })()
      await clock.runUntil(() => got.length === n)
      a.close()
      return { ms: clock.now(), got }
    }
    const clean = await run(0)
    const lossy = await run(0.3)
    expect(lossy.got).toEqual(clean.got)
    expect(lossy.got.length).toBe(100)
    expect(lossy.ms).toBeGreaterThan(clean.ms + 15)
  })

  it('disconnect at byte N delivers ≤ N bytes then closes both ends with E_PEER_LOST', async () => {
    const clock = new ManualClock()
    const N = 100_000
    const [a, b] = SimulatedLink.pair({ disconnectAtByte: N, latencyMs: 5, bandwidth: 10_000_000, clock })
    let delivered = 0
    b.onFrame(f => { delivered += f.byteLength })
    const aClosed = closedWith(a)
    const bClosed = closedWith(b)
    for (let i = 0; i < 10; i++) await a.send(frameOf(i, 16 * KiB))
    await clock.runUntil(() => a.closed && b.closed)
    const [ea, eb] = await Promise.all([aClosed, bClosed])
    expect(isGasError(ea, 'E_PEER_LOST')).toBe(true)
    expect(isGasError(eb, 'E_PEER_LOST')).toBe(true)
    expect(delivered).toBeLessThanOrEqual(N)
    expect(delivered).toBe(6 * 16 * KiB)
    await expect(a.send(Uint8Array.of(1))).rejects.toMatchObject({ code: 'E_PEER_LOST' })
  })

  it('disconnect at time cuts the link at that time and rejects a paced send', async () => {
    const clock = new ManualClock()
    const [a, b] = SimulatedLink.pair({ disconnectAtMs: 50, bandwidth: 1_000_000, clock })
    const bClosed = closedWith(b)
    let settled = 0
    const sends: Array<Promise<void>> = []
    for (let i = 0; i < 10; i++) {
      const sent = a.send(frameOf(i, 64 * KiB))
      sent.then(() => { settled++ }, () => { settled++ })
      sends.push(sent)
    }
    await clock.advanceAsync(49)
    expect(b.closed).toBe(false)
    await clock.runUntil(() => settled === 10)
    expect(clock.now()).toBe(50)
    const results = await Promise.allSettled(sends)
    expect(results.some(r => r.status === 'rejected' && isGasError(r.reason, 'E_PEER_LOST'))).toBe(true)
    expect(isGasError(await bClosed, 'E_PEER_LOST')).toBe(true)
    expect(a.closed && b.closed).toBe(true)
  })

  it('graceful close delivers what was sent, then closes the remote', async () => {
    const clock = new ManualClock()
    const [a, b] = SimulatedLink.pair({ latencyMs: 10, labels: { a: 'alice', b: 'bob' }, clock })
    expect(a.remoteLabel).toBe('bob')
    const got: number[] = []
    b.onFrame(f => got.push(seqOf(f)))
    const aClosed = closedWith(a)
    const bClosed = closedWith(b)
    await a.send(frameOf(1, 8))
    await a.send(frameOf(2, 8))
    a.close()
    a.close()
    await clock.runUntil(() => b.closed)
    expect(clock.now()).toBe(10)
    expect(await aClosed).toBeUndefined()
    expect(isGasError(await bClosed, 'E_PEER_LOST')).toBe(true)
    expect(got).toEqual([1, 2])
    await expect(b.send(Uint8Array.of(1))).rejects.toMatchObject({ code: 'E_PEER_LOST' })
  })

  it('checks options and frame size', async () => {
    expect(() => SimulatedLink.pair({ bandwidth: 0 })).toThrow(expect.objectContaining({ code: 'E_BAD_ARGUMENT' }))
    expect(() => SimulatedLink.pair({ latencyMs: -1 })).toThrow(expect.objectContaining({ code: 'E_BAD_ARGUMENT' }))
    expect(() => SimulatedLink.pair({ loss: 1 })).toThrow(expect.objectContaining({ code: 'E_BAD_ARGUMENT' }))
    const [a] = SimulatedLink.pair()
    await expect(a.send(new Uint8Array(64 * KiB + 1))).rejects.toMatchObject({ code: 'E_FRAME_LENGTH' })
    a.close()
  })
})

describe('SimulatedNetwork', () => {
  it('enforces per-node connection limits and frees slots on close', async () => {
    const net = new SimulatedNetwork({ maxConnectionsPerNode: 2, link: { latencyMs: 1 } })
    const [ab] = net.connect('a', 'b')
    net.connect('a', 'c')
    expect(net.connectionCount('a')).toBe(2)
    expect(() => net.connect('a', 'd')).toThrow(expect.objectContaining({ code: 'E_PEER_LOST' }))
    expect(() => net.connect('a', 'a')).toThrow(expect.objectContaining({ code: 'E_BAD_ARGUMENT' }))
    ab.close()
    expect(net.connectionCount('a')).toBe(1)
    const [ad, da] = net.connect('a', 'd')
    expect(ad.remoteLabel).toBe('d')
    expect(da.remoteLabel).toBe('a')
    net.setLimit('e', 0)
    expect(() => net.connect('b', 'e')).toThrow(expect.objectContaining({ code: 'E_PEER_LOST' }))
    net.isolate('a')
    await new Promise(resolve => setTimeout(resolve, 5))
    expect(net.connectionCount('a')).toBe(0)
    expect(net.connectionCount('d')).toBe(0)
  })

  it('disconnect(a, b) cuts only that pair', async () => {
    const net = new SimulatedNetwork()
    const [ab, ba] = net.connect('a', 'b')
    const [ac] = net.connect('a', 'c')
    const lost = closedWith(ba)
    net.disconnect('a', 'b')
    expect(isGasError(await lost, 'E_PEER_LOST')).toBe(true)
    expect(ab.closed).toBe(true)
    expect(ac.closed).toBe(false)
    ac.close()
  })
})
