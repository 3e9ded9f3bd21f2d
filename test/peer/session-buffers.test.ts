import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { MemoryStore } from '../../src/objects/memory-store.js'
import { FileStore } from '../../src/pack/file-store.js'
import { MemoryTransport } from '../../src/peer/transport/memory-transport.js'
import { PeerSession, randomIdentity, type ReceivedBlock } from '../../src/peer/session/session.js'
import type { Transport } from '../../src/peer/transport/transport.js'
import { useTmp } from '../helpers/tmp.js'
import { pseudoRandomBytes } from '../net/helpers.js'

const tmp = useTmp()

/** Like the WebRTC transport: copies each frame inside send(); then scribbles over the caller's buffer to catch any later read of it. */
class CopyingTransport implements Transport {
  readonly copiesFrames = true
  copies = 0
  constructor (private readonly inner: Transport) {}
  get closed (): boolean { return this.inner.closed }
  get remoteLabel (): string { return this.inner.remoteLabel }
  async send (frame: Uint8Array): Promise<void> {
    const copy = frame.slice()
    frame.fill(0xee)
    this.copies++
    await this.inner.send(copy)
  }

  onFrame (cb: (frame: Uint8Array) => void): void { this.inner.onFrame(cb) }
  onClose (cb: (err?: Error) => void): void { this.inner.onClose(cb) }
  close (): void { this.inner.close() }
}

describe('PeerSession buffers reused while serving', () => {
  it('objects of every size arrive intact when frames share one scratch buffer and store reads are recycled', async () => {
    const dir = tmp()
    const store = await FileStore.open(join(dir, 'objects'))
    const sizes = [20_000, 65_000, 70_000, 250_000, 16_500, 131_072, 64 * 1024, 99_999, 200_000, 17_000]
    const objects = sizes.map((size, i) => pseudoRandomBytes(`buf${i}`, size))
    const ids: string[] = []
    for (const o of objects) ids.push(await store.put('chunk', o))
    await store.close() // reads now come from the pack file, through the session's read pool
    const [a, b] = MemoryTransport.pair({ a: 'client', b: 'server' })
    const copying = new CopyingTransport(b)
    const [client] = await Promise.all([
      PeerSession.open({ transport: a, store: new MemoryStore(), identity: randomIdentity('client') }),
      PeerSession.open({ transport: copying, store, identity: randomIdentity('server') })
    ])
    const dst = new MemoryStore()
    const stored: Array<Promise<void>> = []
    client.onBlock((blk: ReceivedBlock) => {
      // putEncoded verifies the bytes against the id: a buffer reused too early fails here
      stored.push(dst.putEncoded(blk.id, blk.object).finally(blk.release))
    })
    // twice: the second round is served from recycled read buffers
    for (const round of [0, 1]) {
      await client.want(ids, 'block', 1)
      for (let i = 0; i < 200 && stored.length < ids.length * (round + 1); i++) await new Promise((resolve) => setTimeout(resolve, 5))
    }
    await Promise.all(stored)
    expect(stored.length).toBe(ids.length * 2)
    for (const [i, id] of ids.entries()) expect(Buffer.from((await dst.get(id)).body).equals(objects[i])).toBe(true)
    expect(copying.copies).toBeLessThan(ids.length * 2 * 2)
    client.close()
    await store.closeAll()
  })
})
