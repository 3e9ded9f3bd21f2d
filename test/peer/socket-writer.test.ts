import { createHash, randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { SocketWriter } from '../../src/peer/transport/socket-writer.js'
import { useSocketPairs } from '../helpers/socket-pair.js'

/** Writes handed to a real TCP socket one at a time, on 127.0.0.1. */

const socketPair = useSocketPairs()
const MiB = 1024 * 1024

function digestOf (buffers: Buffer[]): string {
  const hash = createHash('sha256')
  for (const b of buffers) hash.update(b)
  return hash.digest('hex')
}

describe('SocketWriter', () => {
  it('while a write is pending the next ones wait in order, never in the socket; each is called back once, and all arrive in order', async () => {
    const [writing, reading] = await socketPair()
    reading.pause() // nobody reads: the kernel buffers fill up and a write stays pending
    let afterWrites = 0
    const writer = new SocketWriter(writing, () => { afterWrites++ })
    const buffers = Array.from({ length: 16 }, (_, i) => randomBytes(MiB - i * 1000))
    const written: number[] = []
    buffers.forEach((b, i) => writer.write(b, () => written.push(i)))
    const total = buffers.reduce((n, b) => n + b.length, 0)
    expect(writer.pendingBytes).toBe(total)
    await new Promise((resolve) => setTimeout(resolve, 50))
    // at most one buffer handed to the socket at a time (the kernel took what it could of the first ones)
    expect(writing.writableLength).toBeLessThanOrEqual(MiB)
    expect(writer.pendingBytes).toBeGreaterThan(0)
    const got: Buffer[] = []
    let received = 0
    reading.on('data', (d: Buffer) => { got.push(d); received += d.length })
    reading.resume()
    await expect.poll(() => received, { timeout: 10_000 }).toBe(total)
    await expect.poll(() => written.length).toBe(buffers.length)
    expect(written).toEqual(buffers.map((_, i) => i))
    expect(writer.pendingBytes).toBe(0)
    expect(afterWrites).toBe(buffers.length)
    expect(digestOf(got)).toBe(digestOf(buffers))
  })

  it('writeAll hands what waits to the socket at once (the connection is ending), in order; clear forgets it', async () => {
    const [writing, reading] = await socketPair()
    reading.pause()
    const writer = new SocketWriter(writing, () => {})
    const buffers = Array.from({ length: 16 }, () => randomBytes(MiB))
    for (const b of buffers) writer.write(b)
    await new Promise((resolve) => setTimeout(resolve, 20))
    writer.writeAll()
    // before it, one buffer at a time waited in the socket (≤ 1 MiB) while the kernel took what
    // its buffers hold (a send buffer autotuned to 4 MiB here: with 8 MiB written, this failed once)
    expect(writing.writableLength).toBeGreaterThan(4 * MiB)
    writing.end()
    const got: Buffer[] = []
    reading.on('data', (d: Buffer) => got.push(d))
    const ended = new Promise((resolve) => reading.on('end', resolve))
    reading.resume()
    await ended
    expect(digestOf(got)).toBe(digestOf(buffers))

    const [other] = await socketPair()
    const dropped = new SocketWriter(other, () => {})
    dropped.write(randomBytes(64 * MiB))
    dropped.write(randomBytes(MiB))
    expect(dropped.pendingBytes).toBe(65 * MiB)
    dropped.clear()
    expect(dropped.pendingBytes).toBeLessThanOrEqual(64 * MiB)
  })
})
