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

describe.runIf(process.platform === 'linux')('pages of a pack that receives a sync', () => {
  it('leave the page cache as the pack grows; everything reads back verified, and the index covers it', async () => {
    const objects = tmp()
    const store = await FileStore.open(objects)
    const ids = await storeChunks(store, 'received')
    const packPath = store.locatePacked(ids[0])!.pack.packPath
    // the writer's drop-behind reads back what it dropped: a chunk from the first window
    expect((await store.get(ids[1])).body.length).toBe(256 * 1024)
    await store.closeAll()
    expect(residentBytes(packPath)).toBeLessThan(24 * MiB)
    const reopened = await FileStore.open(objects)
    for (const id of ids) expect(reopened.hasPacked(id)).toBe(true)
    expect(await checkStore(reopened)).toEqual([])
    await reopened.closeAll()
  }, 60_000)

  it("ingest's pack stays cached (a restore reads it next)", async () => {
    const store = await FileStore.open(tmp())
    const ids = await storeChunks(store, 'ingested')
    const packPath = store.locatePacked(ids[0])!.pack.packPath
    await store.closeAll()
    expect(residentBytes(packPath)).toBeGreaterThan(36 * MiB)
  }, 60_000)
})
