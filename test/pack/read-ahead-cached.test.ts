import { randomBytes } from 'node:crypto'
import { readSync } from 'node:fs'
import { open } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { FileStore } from '../../src/pack/file-store.js'
import { LendingPool } from '../../src/pack/lending-pool.js'
import { READ_AHEAD_BYTES, ReadAhead } from '../../src/pack/read-ahead.js'
import type { CachedRead } from '../../src/pack/cached-read.js'
import { useTmp } from '../helpers/tmp.js'

const tmp = useTmp()

/** A pack of incompressible chunks of 40–120 KB appended in order, with each one's offset in it. */
async function packOf (dir: string, n: number): Promise<{ chunks: Buffer[], offsets: number[], packPath: string }> {
  const store = await FileStore.open(join(dir, 'objects'))
  const chunks = Array.from({ length: n }, (_, i) => randomBytes(40_000 + (i * 7919) % 80_000))
  const ids: string[] = []
  for (const c of chunks) ids.push(await store.put('chunk', c))
  await store.flush()
  const located = ids.map((id) => store.locatePacked(id)!)
  await store.closeAll()
  return { chunks, offsets: located.map((l) => l.offset), packPath: located[0].pack.packPath }
}

/** The pack opened for reading, with every read(2) through the handle (the thread pool) recorded. */
async function recordedHandle (packPath: string): Promise<{ handle: Awaited<ReturnType<typeof open>>, ranges: Array<[number, number]> }> {
  const handle = await open(packPath, 'r')
  const ranges: Array<[number, number]> = []
  const read = handle.read.bind(handle)
  handle.read = (async (buffer: Uint8Array, offset: number, length: number, position: number) => {
    ranges.push([position, position + length])
    return await read(buffer, offset, length, position)
  }) as typeof handle.read
  return { handle, ranges }
}

/** Reads the run as a serving peer does: 16 entries asked at once, each at once when in a window read (entryNow), else awaited (entry). */
async function serveRun (ahead: ReadAhead, offsets: number[], pool: LendingPool): Promise<{ got: Uint8Array[], atOnce: number }> {
  const got: Uint8Array[] = []
  let atOnce = 0
  for (let from = 0; from < offsets.length; from += 16) {
    const batch = offsets.slice(from, from + 16).map(async (offset) => {
      const now = ahead.entryNow(offset, 'test', pool)
      if (now !== undefined) atOnce++
      return now ?? await ahead.entry(offset, 'test', pool)
    })
    for (const entry of await Promise.all(batch)) got.push(entry!.bytes)
  }
  return { got, atOnce }
}

describe('pack read-ahead with cached reads', () => {
  it('windows the page cache holds are read without the thread pool, and entries in them are lent at once', async () => {
    const { chunks, offsets, packPath } = await packOf(tmp(), 60)
    const { handle, ranges } = await recordedHandle(packPath)
    let cachedReads = 0
    const whole: CachedRead = (fd, buffer, position) => { cachedReads++; return { bytes: readSync(fd, buffer, 0, buffer.length, position), whole: true } }
    const ahead = new ReadAhead(handle, whole)
    const pool = new LendingPool()
    // nothing read yet: not at hand
    expect(ahead.entryNow(offsets[0], 'test', pool)).toBeUndefined()
    expect(Buffer.from((await ahead.entry(offsets[0], 'test', pool))!.bytes).equals(chunks[0])).toBe(true)
    const { got, atOnce } = await serveRun(ahead, offsets.slice(1), pool)
    got.forEach((bytes, k) => expect(Buffer.from(bytes).equals(chunks[k + 1])).toBe(true))
    // every entry of the run at once, those across a window's end too (put together from both windows)
    expect(atOnce).toBe(offsets.length - 1)
    expect(ranges).toEqual([])
    const total = chunks.reduce((n, c) => n + c.length + 42, 0)
    expect(cachedReads).toBeLessThanOrEqual(Math.ceil(total / READ_AHEAD_BYTES) + 2)
    // an entry far from the run is not at hand
    expect(ahead.entryNow(offsets[0], 'test', pool)).toBeUndefined()
    for (const bytes of got) pool.give(bytes)
    await handle.close()
  })

  it('a window the cache holds only part of is read on through the thread pool, each byte once; a failing cached read leaves it all to the pool', async () => {
    const { chunks, offsets, packPath } = await packOf(tmp(), 60)
    for (const cachedRead of [
      ((fd, buffer, position) => ({ bytes: readSync(fd, buffer, 0, 300_000, position), whole: false })) satisfies CachedRead,
      (() => { throw new Error('no such call') }) satisfies CachedRead
    ]) {
      const { handle, ranges } = await recordedHandle(packPath)
      const ahead = new ReadAhead(handle, cachedRead)
      const pool = new LendingPool()
      await ahead.entry(offsets[0], 'test', pool)
      const { got } = await serveRun(ahead, offsets.slice(1), pool)
      got.forEach((bytes, k) => expect(Buffer.from(bytes).equals(chunks[k + 1])).toBe(true))
      expect(ranges.length).toBeGreaterThan(0)
      const sorted = [...ranges].sort((a, b) => a[0] - b[0])
      for (let i = 1; i < sorted.length; i++) expect(sorted[i][0]).toBeGreaterThanOrEqual(sorted[i - 1][1])
      await handle.close()
    }
  })
})
