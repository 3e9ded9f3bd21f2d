import { createHash } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import { isGasError } from '../../src/errors.js'
import type { Transport } from '../../src/peer/transport/transport.js'
import { connectPair, createSimplePeer, waitConnected, webrtcTransport } from '../../src/peer/transport/webrtc-transport.js'

const open: Transport[] = []
afterEach(() => {
  for (const t of open.splice(0)) t.close()
})

function track<T extends Transport[]> (ts: T): T {
  open.push(...ts)
  return ts
}

describe('webrtcTransport over a real data channel (127.0.0.1)', () => {
  it('connects a pair in under 2 s and exchanges frames both ways', async () => {
    const start = performance.now()
    const [a, b] = track(await connectPair())
    const ms = performance.now() - start
    expect(ms).toBeLessThan(2000)
    const atB = new Promise<Uint8Array>(resolve => b.onFrame(resolve))
    const atA = new Promise<Uint8Array>(resolve => a.onFrame(resolve))
    await a.send(Uint8Array.of(1, 2, 3))
    await b.send(Uint8Array.of(4))
    expect([...await atB]).toEqual([1, 2, 3])
    expect([...await atA]).toEqual([4])
  })

  it('moves 32 MiB through one channel intact and in order', async () => {
    const [a, b] = track(await connectPair())
    const total = 32 * 1024 * 1024
    const frameSize = 64 * 1024
    const sent = createHash('sha256')
    const got = createHash('sha256')
    let received = 0
    let expectSeq = 0
    let outOfOrder = 0
    const done = new Promise<void>(resolve => b.onFrame(f => {
      if (new DataView(f.buffer, f.byteOffset).getUint32(0) !== expectSeq++) outOfOrder++
      got.update(f)
      received += f.byteLength
      if (received === total) resolve()
    }))
    const start = performance.now()
    for (let i = 0; i < total / frameSize; i++) {
      const f = new Uint8Array(frameSize)
      for (let k = 4; k < frameSize; k += 251) f[k] = (i * 7 + k) & 255
      new DataView(f.buffer).setUint32(0, i)
      sent.update(f)
      await a.send(f)
    }
    await done
    const mbps = total / 1e6 / ((performance.now() - start) / 1000)
    console.log(`webrtc transport: ${mbps.toFixed(0)} MB/s`)
    expect(outOfOrder).toBe(0)
    expect(got.digest('hex')).toBe(sent.digest('hex'))
  })

  it('closing one side fires onClose on the other with E_PEER_LOST', async () => {
    const [a, b] = track(await connectPair())
    const lost = new Promise<Error | undefined>(resolve => b.onClose(resolve))
    const mine = new Promise<Error | undefined>(resolve => a.onClose(resolve))
    a.close()
    expect(await mine).toBeUndefined()
    expect(isGasError(await lost, 'E_PEER_LOST')).toBe(true)
    expect(b.closed).toBe(true)
    await expect(a.send(Uint8Array.of(1))).rejects.toMatchObject({ code: 'E_PEER_LOST' })
    await expect(b.send(Uint8Array.of(1))).rejects.toMatchObject({ code: 'E_PEER_LOST' })
  })

  it('close() with frames still queued: the remote gets an in-order prefix, then E_PEER_LOST', async () => {
    const [a, b] = track(await connectPair())
    const seqs: number[] = []
    const closed = new Promise<Error | undefined>(resolve => b.onClose(resolve))
    b.onFrame(f => seqs.push(f[0]))
    const sends: Array<Promise<void>> = []
    for (let i = 0; i < 128; i++) sends.push(a.send(new Uint8Array(64 * 1024).fill(i)))
    await sends[0]
    a.close()
    const results = await Promise.allSettled(sends)
    expect(results.every(r => r.status === 'fulfilled' || isGasError(r.reason, 'E_PEER_LOST'))).toBe(true)
    expect(isGasError(await closed, 'E_PEER_LOST')).toBe(true)
    expect(seqs).toEqual([...seqs.keys()])
  })

  it('wraps a peer that is still connecting; frames sent early arrive after connect', async () => {
    // why up to three attempts: libdatachannel now and then fails a pair before it connects on a loaded
    // machine ("Got a remote candidate without ICE transport", its own race); connectPair and the
    // tracker's reconnects retry the same way, and this test is about the frames, not that race
    for (let attempt = 1; ; attempt++) {
      const p1 = createSimplePeer({ initiator: true, trickle: true })
      const p2 = createSimplePeer({ trickle: true })
      p1.on('signal', s => { if (!p2.destroyed) p2.signal(s) })
      p2.on('signal', s => { if (!p1.destroyed) p1.signal(s) })
      const [a, b] = track([webrtcTransport(p1), webrtcTransport(p2, { remoteLabel: 'p1' })])
      expect(a.remoteLabel).toBe('webrtc-peer')
      expect(b.remoteLabel).toBe('p1')
      const got = new Promise<Uint8Array>(resolve => b.onFrame(resolve))
      const sending = a.send(Uint8Array.of(42))
      sending.catch(() => {}) // awaited below once connected; a failed attempt must not leave it unhandled
      try {
        // why bounded: a connection that never comes up (seen once on a loaded machine) fails here with
        // the candidates it had, rather than at the test's timeout with nothing to go on
        await Promise.all([waitConnected(p1, 30_000), waitConnected(p2, 30_000)])
      } catch (err) {
        if (attempt >= 3 || !isGasError(err, 'E_PEER_LOST')) throw err
        a.close()
        b.close()
        continue
      }
      await sending
      expect([...await got]).toEqual([42])
      await expect(a.send(new Uint8Array(64 * 1024 + 1))).rejects.toMatchObject({ code: 'E_FRAME_LENGTH' })
      return
    }
  })

  it('a send waiting for a peer that fails before it connects rejects with E_PEER_LOST (it hung)', async () => {
    const lonely = createSimplePeer({ initiator: true })
    const [t] = track([webrtcTransport(lonely)])
    const sending = t.send(Uint8Array.of(1))
    lonely.destroy(new Error('ICE failed'))
    await expect(sending).rejects.toMatchObject({ code: 'E_PEER_LOST', message: expect.stringContaining('ICE failed') })
    expect(t.closed).toBe(true)
  })

  it('waitConnected times out with E_TIMEOUT when nobody answers', async () => {
    const lonely = createSimplePeer({ initiator: true })
    await expect(waitConnected(lonely, 100)).rejects.toMatchObject({ code: 'E_TIMEOUT' })
    await new Promise(resolve => setTimeout(resolve, 50))
    expect(lonely.destroyed).toBe(true)
  })
})
