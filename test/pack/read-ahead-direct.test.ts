import { randomBytes } from 'node:crypto'
import { readSync } from 'node:fs'
import { open } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { openDirectReads } from '../../src/objects/direct-file.js'
import { realFs } from '../../src/objects/fs.js'
import { loadPageCacheCalls } from '../../src/objects/page-cache-native.js'
import { FileStore } from '../../src/pack/file-store.js'
import { LendingPool } from '../../src/pack/lending-pool.js'
import { ReadAhead } from '../../src/pack/read-ahead.js'
import type { CachedRead } from '../../src/pack/cached-read.js'
import { residentBytes } from '../helpers/resident-bytes.js'
import { useTmp } from '../helpers/tmp.js'

const tmp = useTmp()
const MiB = 1024 * 1024

/** 24 MiB of incompressible chunks of odd sizes (entries straddle block and window boundaries), stored as ingest does */
async function storeOf (dir: string): Promise<{ store: FileStore, chunks: Buffer[], ids: string[] }> {
  const store = await FileStore.open(join(dir, 'objects'))
  const chunks = Array.from({ length: 300 }, (_, i) => randomBytes(60_001 + (i * 7919) % 50_000))
  const ids: string[] = []
  for (const c of chunks) ids.push(await store.put('chunk', c))
  await store.flush()
  return { store, chunks, ids }
}

/** Reads every entry as a serving peer does (16 asked at once, lent where at hand) and checks each against what was stored. */
async function serveAll (store: FileStore, ids: string[], chunks: Buffer[]): Promise<void> {
  const pool = new LendingPool()
  for (let from = 0; from < ids.length; from += 16) {
    const got = await Promise.all(ids.slice(from, from + 16).map(async (id) => store.getEncodedNow(id, pool) ?? await store.getEncoded(id, pool)))
    got.forEach((object, k) => {
      expect(Buffer.from(object!.bytes).equals(chunks[from + k])).toBe(true)
      pool.give(object!.bytes)
    })
  }
}

describe.runIf(process.platform === 'linux')('pack windows read with O_DIRECT', () => {
  it('a pack the page cache does not hold is served whole and correct, and stays out of the page cache; a cached one is read from the cache', async () => {
    const dir = tmp()
    const { store, chunks, ids } = await storeOf(dir)
    const packPath = store.locatePacked(ids[0])!.pack.packPath
    await store.closeAll()
    const handle = await open(packPath, 'r')
    await loadPageCacheCalls()!.dropCached(handle.fd, 0, 64 * MiB)
    await handle.close()
    expect(residentBytes(packPath)).toBeLessThan(MiB)
    const cold = await FileStore.open(join(dir, 'objects'))
    await serveAll(cold, ids, chunks)
    await cold.closeAll()
    // the first window's look at the cache may start the kernel's read-ahead once; the run then reads past it
    expect(residentBytes(packPath)).toBeLessThan(10 * MiB)
    // warm: read through the page cache as before
    const warmed = await open(packPath, 'r')
    const all = Buffer.alloc(32 * MiB)
    readSync(warmed.fd, all, 0, all.length, 0)
    await warmed.close()
    const warm = await FileStore.open(join(dir, 'objects'))
    await serveAll(warm, ids, chunks)
    await warm.closeAll()
    expect(residentBytes(packPath)).toBeGreaterThan(20 * MiB)
  }, 60_000)

  it('where O_DIRECT is refused, a window the cache holds none of is read through the usual handle, and an unaligned run start reads right', async () => {
    const { store, chunks, ids } = await storeOf(tmp())
    const located = ids.map((id) => store.locatePacked(id)!)
    const packPath = located[0].pack.packPath
    await store.closeAll()
    const nothingCached: CachedRead = () => ({ bytes: 0, whole: false })
    for (const opener of [async () => undefined, async () => await openDirectReads(realFs, packPath)]) {
      const handle = await open(packPath, 'r')
      const ahead = new ReadAhead(handle, nothingCached, opener)
      const pool = new LendingPool()
      // a run that starts in the middle of the pack, at an entry that is not on a block boundary
      const from = located.findIndex((l) => l.offset % 4096 !== 0 && l.offset > 4 * MiB)
      // as after a direct read of the entry before it (PackFile): the run goes on from there
      ahead.passed(located[from].offset)
      for (let i = from; i < ids.length; i++) {
        const entry = ahead.entryNow(located[i].offset, 'test', pool) ?? await ahead.entry(located[i].offset, 'test', pool)
        expect(Buffer.from(entry!.bytes).equals(chunks[i])).toBe(true)
        pool.give(entry!.bytes)
      }
      await ahead.close()
      await handle.close()
    }
  }, 60_000)
})
