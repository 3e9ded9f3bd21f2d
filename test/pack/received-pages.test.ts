import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { hashObject } from '../../src/objects/id.js'
import { FileStore } from '../../src/pack/file-store.js'
import { checkStore } from '../../src/pack/fsck.js'
import { residentBytes } from '../helpers/resident-bytes.js'
import { useTmp } from '../helpers/tmp.js'

const tmp = useTmp()
const MiB = 1024 * 1024

/** 40 MiB of distinct 256 KiB chunks, stored as a sync stores what it received (putEncoded) or as ingest does (putTrusted) */
async function storeChunks (store: FileStore, how: 'received' | 'ingested'): Promise<string[]> {
  const ids: string[] = []
  for (let i = 0; i < 160; i++) {
    const body = randomBytes(256 * 1024)
    const id = hashObject('chunk', body)
    const object = { type: 'chunk' as const, encoding: 0 as const, rawLength: body.length, bytes: body }
    if (how === 'received') await store.putEncoded(id, object)
    else await store.putTrusted(id, object)
    ids.push(id)
  }
  return ids
}

/** `fn` with GAS_DIRECT_WRITES=0 when `direct` is false */
async function withDirectWrites<T> (direct: boolean, fn: () => Promise<T>): Promise<T> {
  if (direct) return await fn()
  process.env.GAS_DIRECT_WRITES = '0'
  try {
    return await fn()
  } finally {
    delete process.env.GAS_DIRECT_WRITES
  }
}

describe.runIf(process.platform === 'linux')('pages of a pack that receives a sync', () => {
  for (const direct of [true, false]) {
    it(`bypass the page cache (${direct ? 'O_DIRECT' : 'O_DIRECT refused: written back and dropped'}); everything reads back verified, and the index covers it`, async () => {
      const objects = tmp()
      await withDirectWrites(direct, async () => {
        const store = await FileStore.open(objects)
        const ids = await storeChunks(store, 'received')
        const packPath = store.locatePacked(ids[0])!.pack.packPath
        // read back before a checkpoint: from the file (a direct pack writes its partial last block first)
        expect((await store.get(ids[1])).body.length).toBe(256 * 1024)
        expect((await store.get(ids[159])).body.length).toBe(256 * 1024)
        await store.closeAll()
        // O_DIRECT: only what was read back and the last block; dropped: the last two 8 MiB windows at most
        expect(residentBytes(packPath)).toBeLessThan(direct ? 4 * MiB : 24 * MiB)
        const reopened = await FileStore.open(objects)
        for (const id of ids) expect(reopened.hasPacked(id)).toBe(true)
        expect(await checkStore(reopened)).toEqual([])
        await reopened.closeAll()
      })
    }, 60_000)
  }

  it('a direct pack read in the middle, checkpointed, and handed an entry larger than its batch stays whole and consistent', async () => {
    const objects = tmp()
    const store = await FileStore.open(objects)
    const ids: string[] = []
    const put = async (bytes: number): Promise<void> => {
      const body = randomBytes(bytes)
      const id = hashObject('chunk', body)
      await store.putEncoded(id, { type: 'chunk', encoding: 0, rawLength: body.length, bytes: body })
      ids.push(id)
    }
    // odd sizes: entries straddle block boundaries everywhere
    for (let i = 0; i < 40; i++) await put(65_537 + i * 777)
    // a read of the newest entry writes the partial block; appending then goes on from the middle of that block
    expect((await store.get(ids[39])).body.length).toBe(65_537 + 39 * 777)
    for (let i = 0; i < 40; i++) await put(70_001 + i * 333)
    await store.flush()
    // indexed and visible to another process now
    const other = await FileStore.open(objects)
    expect(other.hasPacked(ids[79]) || await other.has(ids[79], 'chunk')).toBe(true)
    await other.closeAll()
    // larger than a batch: written the usual way, and the pack leaves O_DIRECT
    await put(3 * MiB)
    for (let i = 0; i < 10; i++) await put(50_003 + i)
    await store.closeAll()
    const reopened = await FileStore.open(objects)
    for (const id of ids) expect((await reopened.get(id)).type).toBe('chunk')
    expect(await checkStore(reopened)).toEqual([])
    await reopened.closeAll()
  }, 60_000)

  it("ingest's pack bypasses the page cache too: an add does not read its chunks again", async () => {
    const store = await FileStore.open(tmp())
    const ids = await storeChunks(store, 'ingested')
    const packPath = store.locatePacked(ids[0])!.pack.packPath
    await store.closeAll()
    expect(residentBytes(packPath)).toBeLessThan(4 * MiB)
  }, 60_000)
})
