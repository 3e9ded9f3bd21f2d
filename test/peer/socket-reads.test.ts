import { randomBytes } from 'node:crypto'
import { connect, createServer, type Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { SocketReads } from '../../src/peer/transport/socket-reads.js'
import { StreamTransport } from '../../src/peer/transport/tcp-transport.js'
import { LARGE_FRAME } from '../../src/peer/transport/transport.js'

/** A StreamTransport fed through `onread` (one read buffer, reused), over a real TCP socket pair on 127.0.0.1. */

const sockets: Socket[] = []
afterEach(() => { for (const s of sockets.splice(0)) s.destroy() })

/** [the writing end, the end that reads through `reads`] */
async function pairReadingInto (reads: SocketReads): Promise<[Socket, Socket]> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve))
  const reader = connect({ port: (server.address() as { port: number }).port, host: '127.0.0.1', onread: reads.option })
  const writer = await accepted
  server.close()
  sockets.push(writer, reader)
  return [writer, reader]
}

function frame (payload: Buffer): Buffer {
  const header = Buffer.alloc(4)
  header.writeUInt32BE(payload.length)
  return Buffer.concat([header, payload])
}

describe('StreamTransport reading through onread (socket-reads.ts)', () => {
  it('frames arrive intact though every read lands in the same buffer: small ones whole in a read, large ones across many, and what came before the transport listened', async () => {
    const reads = new SocketReads(4096)
    const [writer, reader] = await pairReadingInto(reads)
    // sent before the transport exists: kept (copied) until it listens
    const early = randomBytes(100)
    writer.write(frame(early))
    await expect.poll(() => reader.bytesRead).toBe(104)
    const t = new StreamTransport(reader, 'onread', { reads })
    const got: Uint8Array[] = []
    const copies: Buffer[] = []
    t.onFrame((f) => { got.push(f); copies.push(Buffer.from(f)) })
    const payloads = [early, randomBytes(10), randomBytes(3000), randomBytes(LARGE_FRAME - 5), randomBytes(7), randomBytes(70_000)]
    for (const p of payloads.slice(1)) writer.write(frame(p))
    await expect.poll(() => got.length).toBe(payloads.length)
    // each frame kept as delivered still holds its bytes after later reads reused the read buffer
    got.forEach((g, i) => expect(Buffer.from(g).equals(payloads[i])).toBe(true))
    copies.forEach((c, i) => expect(c.equals(payloads[i])).toBe(true))
    // the large frames were read straight into their own buffers, not copied there from the read buffer
    expect(reads.readsInPlace).toBeGreaterThan(0)
    t.close()
  })
})
