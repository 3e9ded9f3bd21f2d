import { randomBytes } from 'node:crypto'
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it, vi } from 'vitest'
import { GasError } from '../../src/errors.js'
import { countingFs } from '../helpers/pack-handles.js'
import { hashObject } from '../../src/objects/id.js'
import { FileStore } from '../../src/pack/file-store.js'
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

describe('pack read-ahead', () => {
  it('reads a run of chunks in pack order with one read(2) per MiB, each exact; random order reads each on its own', async () => {
    const dir = tmp()
    const { chunks, ids } = await packOf(dir, 60)
    const total = chunks.reduce((n, c) => n + c.length, 0)
    const { fs, reads } = countingFs()
    const store = await FileStore.open(join(dir, 'objects'), fs)
    for (let i = 0; i < ids.length; i++) expect(Buffer.from((await store.get(ids[i])).body).equals(chunks[i])).toBe(true)
    const sequential = reads()
    expect(sequential).toBeLessThanOrEqual(Math.ceil(total / READ_AHEAD_BYTES) * 2 + 2)
    expect(sequential).toBeLessThan(ids.length / 3)
    // backwards: no run, every entry its own read, still exact
    for (let i = ids.length - 1; i >= 0; i -= 2) expect(Buffer.from((await store.get(ids[i])).body).equals(chunks[i])).toBe(true)
    expect(reads() - sequential).toBeGreaterThanOrEqual(ids.length / 2)
    await store.closeAll()
  })

  it('serves readers that ask for a whole run at once (as a serving peer reads ahead), entries across window ends included', async () => {
    const dir = tmp()
    const { chunks, ids } = await packOf(dir, 80)
    const store = await FileStore.open(join(dir, 'objects'))
    await store.get(ids[0]) // the run starts after the first entry read
    for (let from = 1; from < ids.length; from += 16) {
      const batch = ids.slice(from, from + 16)
      const got = await Promise.all(batch.map(async (id) => await store.getEncoded(id)))
      got.forEach((o, k) => expect(Buffer.from(o!.bytes).equals(chunks[from + k])).toBe(true))
    }
    await store.closeAll()
  })

  it('a run asked for 16 at a time from its start, after an entry far away, is read a MiB at a time (a serving peer prefetching)', async () => {
    const dir = tmp()
    const { chunks, ids } = await packOf(dir, 80)
    const total = chunks.reduce((n, c) => n + c.length, 0)
    const { fs, reads } = countingFs()
    const store = await FileStore.open(join(dir, 'objects'), fs)
    // the last entry first (as a manifest stored after its chunks is read before them)
    expect(Buffer.from((await store.get(ids[ids.length - 1])).body).equals(chunks[ids.length - 1])).toBe(true)
    const before = reads()
    for (let from = 0; from < ids.length - 1; from += 16) {
      const batch = ids.slice(from, Math.min(from + 16, ids.length - 1))
      const got = await Promise.all(batch.map(async (id) => await store.getEncoded(id)))
      got.forEach((o, k) => expect(Buffer.from(o!.bytes).equals(chunks[from + k])).toBe(true))
    }
    expect(reads() - before).toBeLessThanOrEqual(Math.ceil(total / READ_AHEAD_BYTES) * 2 + 4)
    await store.closeAll()
  })

  it('a window nobody reads for a while gives its buffer back; the run then goes on with a new one', async () => {
    const dir = tmp()
    const { chunks, ids } = await packOf(dir, 40)
    const { fs, reads } = countingFs()
    const store = await FileStore.open(join(dir, 'objects'), fs)
    vi.useFakeTimers({ toFake: ['setTimeout'] })
    try {
      for (let i = 0; i < 6; i++) expect(Buffer.from((await store.get(ids[i])).body).equals(chunks[i])).toBe(true)
      const before = reads()
      await store.get(ids[6])
      expect(reads()).toBe(before) // entry 6 came from the window of entries 1…
      vi.advanceTimersByTime(2500) // … which nobody reads now: it is released
      await store.get(ids[7])
      expect(reads()).toBe(before + 2) // entry 7 starts a new window, and the one after it is read ahead
      for (let i = 8; i < ids.length; i++) expect(Buffer.from((await store.get(ids[i])).body).equals(chunks[i])).toBe(true)
      expect(reads() - before).toBeLessThanOrEqual(4)
    } finally {
      vi.useRealTimers()
      await store.closeAll()
    }
  })

  it('a damaged entry header inside a window is E_CORRUPT_PACK, as when read on its own', async () => {
    const dir = tmp()
    const { chunks, ids } = await packOf(dir, 10)
    const packDir = join(dir, 'objects', 'pack')
    const pack = join(packDir, readdirSync(packDir).find((n) => n.endsWith('.pack'))!)
    const bytes = readFileSync(pack)
    // the third entry: find its id in the pack and damage the header fields before it
    const at = bytes.indexOf(Buffer.from(ids[2], 'hex'))
    expect(at).toBeGreaterThan(0)
    bytes.fill(0xff, at - 10, at) // type, encoding and lengths: the 10 bytes before the id
    writeFileSync(pack, bytes)
    const store = await FileStore.open(join(dir, 'objects'))
    expect(Buffer.from((await store.get(ids[0])).body).equals(chunks[0])).toBe(true)
    expect(Buffer.from((await store.get(ids[1])).body).equals(chunks[1])).toBe(true)
    const err = await store.get(ids[2]).then(() => undefined, (e: GasError) => e)
    expect(err?.code).toMatch(/^E_CORRUPT_(PACK|OBJECT)$/)
    expect(hashObject('chunk', (await store.get(ids[3])).body)).toBe(ids[3])
    await store.closeAll()
  })
})
