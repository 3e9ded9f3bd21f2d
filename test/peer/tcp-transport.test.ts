import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { HIGH_WATER_BYTES, MAX_STREAM_FRAME, StreamTransport } from '../../src/peer/transport/tcp-transport.js'
import { useSocketPairs } from '../helpers/socket-pair.js'

/** Framing over a real TCP socket pair on 127.0.0.1: reads cut anywhere, lying lengths, backpressure. */

const socketPair = useSocketPairs()

function frame (payload: Buffer): Buffer {
  const header = Buffer.alloc(4)
  header.writeUInt32BE(payload.length)
  return Buffer.concat([header, payload])
}

describe('StreamTransport', () => {
  it('reassembles frames whatever the reads cut: byte by byte, headers split, many frames per read', async () => {
    const [raw, end] = await socketPair()
    raw.setNoDelay(true)
    const t = new StreamTransport(end, 'test')
    const got: Buffer[] = []
    t.onFrame((f) => got.push(Buffer.from(f)))
    const payloads = [randomBytes(70_000).subarray(0, 65_536), Buffer.alloc(0), randomBytes(3), randomBytes(40_000)]
    const wire = Buffer.concat(payloads.map(frame))
    // the first frame's header and body a byte at a time, the rest in odd pieces
    for (let i = 0; i < 10; i++) {
      raw.write(wire.subarray(i, i + 1))
      await new Promise((resolve) => setTimeout(resolve, 2))
    }
    for (let i = 10; i < wire.length; i += 7777) raw.write(wire.subarray(i, Math.min(wire.length, i + 7777)))
    await expect.poll(() => got.length).toBe(payloads.length)
    got.forEach((g, i) => expect(g.equals(payloads[i])).toBe(true))
  })

  it('large frames come in pooled buffers: reused once every holder released them, never while held, never when nobody held them', async () => {
    const [raw, end] = await socketPair()
    const t = new StreamTransport(end, 'pool')
    const payloads = [randomBytes(1024 * 1024), randomBytes(300_000), randomBytes(500_000), randomBytes(100)]
    const got: Array<{ frame: Uint8Array, copy: Buffer, release?: () => void }> = []
    t.onFrame((f, lease) => {
      // the first frame is held (and released later), the second not held at all, the rest held and released at once
      const release = got.length === 1 ? undefined : lease?.hold()
      if (got.length >= 2) release?.()
      got.push({ frame: f, copy: Buffer.from(f), release })
    })
    for (const p of payloads.slice(0, 3)) raw.write(frame(p))
    await expect.poll(() => got.length).toBe(3)
    got.forEach((g, i) => expect(g.copy.equals(payloads[i])).toBe(true))
    // three large frames, each in its own buffer while the first is held
    expect(new Set(got.map(g => g.frame.buffer)).size).toBe(3)
    got[0].release?.()
    got[0].release?.() // a second release changes nothing
    raw.write(frame(randomBytes(200_000)))
    raw.write(frame(randomBytes(200_000)))
    await expect.poll(() => got.length).toBe(5)
    // reused: the first or third frame's buffer (both released); never the unheld second one's
    const reused = got.slice(3).map(g => g.frame.buffer)
    expect(reused).not.toContain(got[1].frame.buffer)
    for (const buffer of reused) expect(buffer === got[0].frame.buffer || buffer === got[2].frame.buffer).toBe(true)
    expect(Buffer.from(got[1].frame).equals(payloads[1])).toBe(true)
    t.close()
  })

  it('drops a stream announcing a frame longer than allowed, with E_FRAME_LENGTH', async () => {
    const [raw, end] = await socketPair()
    const t = new StreamTransport(end, 'liar', { maxFrame: 1024 })
    const closed = new Promise<Error | undefined>((resolve) => t.onClose(resolve))
    raw.write(frame(Buffer.alloc(2048)))
    expect(await closed).toMatchObject({ code: 'E_FRAME_LENGTH' })
    await expect(t.send(Buffer.from('x'))).rejects.toMatchObject({ code: 'E_PEER_LOST' })
  })

  it('refuses to send a frame above its limit and holds senders back while the socket is full', async () => {
    const [raw, end] = await socketPair()
    raw.pause() // nobody reads: the kernel buffers fill up
    const t = new StreamTransport(end, 'slow')
    await expect(t.send(new Uint8Array(MAX_STREAM_FRAME + 1))).rejects.toMatchObject({ code: 'E_FRAME_LENGTH' })
    const block = new Uint8Array(65_536)
    let sent = 0
    let waiting: Promise<void> | undefined
    while (waiting === undefined && sent < 64 * HIGH_WATER_BYTES) {
      const p = t.send(block)
      const settled = await Promise.race([p.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 20))])
      sent += block.length
      if (!settled) waiting = p
    }
    expect(waiting).toBeDefined()
    expect(sent).toBeGreaterThanOrEqual(HIGH_WATER_BYTES)
    let received = 0
    raw.on('data', (d: Buffer) => { received += d.length })
    raw.resume()
    await waiting
    await expect.poll(() => received).toBe(sent + 4 * (sent / block.length))
    t.close()
  })

  it('close() delivers what was sent before the remote sees the end; the remote reports a lost peer', async () => {
    const [a, b] = await socketPair()
    const ta = new StreamTransport(a, 'a')
    const tb = new StreamTransport(b, 'b')
    const got: string[] = []
    tb.onFrame((f) => got.push(Buffer.from(f).toString()))
    const closed = new Promise<Error | undefined>((resolve) => tb.onClose(resolve))
    await ta.send(Buffer.from('last words'))
    ta.close()
    expect(await closed).toMatchObject({ code: 'E_PEER_LOST' })
    expect(got).toEqual(['last words'])
  })
})
