import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { DIRECT_ALIGNMENT } from '../../src/objects/aligned-buffers.js'
import { FileStore } from '../../src/pack/file-store.js'
import { LendingPool } from '../../src/pack/lending-pool.js'
import { READ_AHEAD_BYTES } from '../../src/pack/read-ahead.js'
import { useTmp } from '../helpers/tmp.js'

const tmp = useTmp()

/** A pack of `n` incompressible chunks of 40–80 KB, appended in order as ingest does. */
async function packOf (dir: string, n: number): Promise<{ chunks: Buffer[], ids: string[] }> {
  const store = await FileStore.open(join(dir, 'objects'))
  const chunks = Array.from({ length: n }, (_, i) => randomBytes(40_000 + (i * 7919) % 40_000))
  const ids: string[] = []
  for (const c of chunks) ids.push(await store.put('chunk', c))
  await store.closeAll()
  return { chunks, ids }
}

describe('LendingPool: pack reads lent from the read-ahead window (the serving side)', () => {
  it('a run read into a lending pool comes as views of the windows, none reused while lent, exact after later reads', async () => {
    const dir = tmp()
    const { chunks, ids } = await packOf(dir, 90)
    const store = await FileStore.open(join(dir, 'objects'))
    const pool = new LendingPool()
    await store.getEncoded(ids[0], pool) // the run starts after the first entry read
    const held: Uint8Array[] = []
    for (let from = 1; from < ids.length; from += 16) {
      const got = await Promise.all(ids.slice(from, from + 16).map(async (id) => await store.getEncoded(id, pool)))
      held.push(...got.map((o) => o!.bytes))
    }
    // several windows' worth of entries, every one still exact: no window was reused under a lent view
    held.forEach((bytes, k) => expect(Buffer.from(bytes).equals(chunks[k + 1])).toBe(true))
    // a window's buffer, or the aligned one a window read with O_DIRECT is a view of (the pack was written past the page cache)
    const views = held.filter((bytes) => bytes.buffer.byteLength === READ_AHEAD_BYTES || bytes.buffer.byteLength === READ_AHEAD_BYTES + DIRECT_ALIGNMENT)
    expect(views.length).toBeGreaterThan(held.length / 2)
    // given back (a lent view twice: the second give must release nothing more), the windows are reused and reads stay exact
    for (const bytes of held) pool.give(bytes)
    for (const bytes of views) pool.give(bytes)
    const again: Uint8Array[] = []
    for (let i = 1; i < ids.length; i++) again.push((await store.getEncoded(ids[i], pool))!.bytes)
    again.forEach((bytes, k) => expect(Buffer.from(bytes).equals(chunks[k + 1])).toBe(true))
    await store.closeAll()
  })

  it('a buffer that was not lent goes back to the pool as in a BufferPool', () => {
    const pool = new LendingPool()
    const taken = pool.take(1000)
    pool.give(taken)
    expect(pool.take(1000).buffer).toBe(taken.buffer)
  })
})
