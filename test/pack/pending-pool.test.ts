import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { FileStore } from '../../src/pack/file-store.js'
import { BufferPool } from '../../src/objects/buffer-pool.js'
import { useTmp } from '../helpers/tmp.js'

const tmp = useTmp()

describe('objects read from the pack this process is still writing', () => {
  it('come in the caller\'s pool buffers (small and large entries), exact, and the buffers are reused once given back', async () => {
    const store = await FileStore.open(join(tmp(), 'objects'))
    const small = randomBytes(20_000)
    const large = randomBytes(150_000) // past the first read of an entry: its body takes a second read
    const smallId = await store.put('chunk', small)
    const largeId = await store.put('chunk', large)
    await store.flush()
    const pool = new BufferPool()
    const taken: ArrayBufferLike[] = []
    const take = pool.take.bind(pool)
    pool.take = (size: number) => { const b = take(size); taken.push(b.buffer); return b }
    for (const [id, bytes] of [[smallId, small], [largeId, large]] as const) {
      const first = (await store.getEncoded(id, pool))!
      expect(Buffer.from(first.bytes).equals(bytes)).toBe(true)
      expect(taken).toContain(first.bytes.buffer)
      pool.give(first.bytes)
      const again = (await store.getEncoded(id, pool))!
      expect(Buffer.from(again.bytes).equals(bytes)).toBe(true)
      // the same memory, not a fresh buffer per read
      expect(again.bytes.buffer).toBe(first.bytes.buffer)
      pool.give(again.bytes)
    }
    // without a pool the entry is still read whole (a copy of its own)
    expect(Buffer.from((await store.getEncoded(largeId))!.bytes).equals(large)).toBe(true)
    await store.closeAll()
  })
})
