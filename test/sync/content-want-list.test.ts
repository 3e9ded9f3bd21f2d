import { createHash } from 'node:crypto'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { describe, expect, it } from 'vitest'
import { fetchInSlices, type SliceProgress } from '../../src/peer/sync/content-slices.js'
import type { FetchResult, WantRequest } from '../../src/peer/swarm/swarm-options.js'
import { ContentWantList } from '../../src/sync/content-want-list.js'

const idOf = (n: number): string => createHash('sha256').update(`chunk ${n}`).digest('hex')

/** a full garbage collection, so heapUsed counts only what is still held */
function collect (): void {
  setFlagsFromString('--expose-gc')
  ;(runInNewContext('gc') as () => void)()
}

describe('ContentWantList', () => {
  it('takes ids as their 32 bytes too (pushKey), listing them as push does; a key of another length is refused', () => {
    const list = new ContentWantList()
    list.pushKey(Buffer.from(idOf(1), 'hex'), { priority: 50, size: 10, path: 'a.bin', asset: idOf(100) })
    list.push({ id: idOf(2), priority: 50, size: 20, path: 'a.bin', asset: idOf(100) })
    // past the first capacity (64): the keys survive the list's growth
    for (let n = 3; n <= 100; n++) list.pushKey(Buffer.from(idOf(n), 'hex'), { priority: 7, size: n })
    expect(list.length).toBe(100)
    expect(list.at(0)).toEqual({ id: idOf(1), kind: 'content', priority: 50, size: 10, path: 'a.bin', asset: idOf(100) })
    expect(list.at(1)).toEqual({ id: idOf(2), kind: 'content', priority: 50, size: 20, path: 'a.bin', asset: idOf(100) })
    expect(list.toArray().map((w) => w.id)).toEqual(Array.from({ length: 100 }, (_, i) => idOf(i + 1)))
    expect(list.sizeAt(99)).toBe(100)
    expect(() => list.pushKey(Buffer.alloc(31), { priority: 1 })).toThrow(RangeError)
    expect(() => list.pushKey(Buffer.alloc(32), { priority: 256 })).toThrow(RangeError)
    expect(list.length).toBe(100)
  })

  it('gives back each want as the walk listed it, its file\'s path and asset included', () => {
    const list = new ContentWantList()
    list.push({ id: idOf(1), priority: 50, size: 10, path: 'a.bin', asset: idOf(100) })
    list.push({ id: idOf(2), priority: 50, size: 20, path: 'a.bin', asset: idOf(100) })
    list.push({ id: idOf(3), priority: 90, path: 'b.bin', asset: idOf(101) })
    list.push({ id: idOf(4), priority: 90 })
    expect(list.length).toBe(4)
    expect(list.toArray()).toEqual([
      { id: idOf(1), kind: 'content', priority: 50, size: 10, path: 'a.bin', asset: idOf(100) },
      { id: idOf(2), kind: 'content', priority: 50, size: 20, path: 'a.bin', asset: idOf(100) },
      { id: idOf(3), kind: 'content', priority: 90, path: 'b.bin', asset: idOf(101) },
      { id: idOf(4), kind: 'content', priority: 90 }
    ])
    expect(list.filter((w) => w.priority === 90).map((w) => w.id)).toEqual([idOf(3), idOf(4)])
    expect(list.firstOfEachOwner().map((w) => w.id)).toEqual([idOf(1), idOf(3), idOf(4)])
    expect(() => list.push({ id: 'xyz', priority: 1 })).toThrow(RangeError)
    expect(() => list.push({ id: idOf(5), priority: 256 })).toThrow(RangeError)
    expect(list.length).toBe(4)
  })

  it('orders by priority, highest first, keeping the walk\'s order within one priority', () => {
    const list = new ContentWantList()
    const priorities = [5, 9, 5, 200, 9, 1, 5, 0, 255]
    priorities.forEach((priority, i) => list.push({ id: idOf(i), priority, size: 1 }))
    const expected = priorities.map((p, i) => ({ p, i })).sort((a, b) => b.p - a.p || a.i - b.i).map((x) => x.i)
    expect([...list.byPriority()]).toEqual(expected)
  })

  it('holds 200 000 wants in a few MiB of heap, where WantedObjects took ~30 MiB', () => {
    collect()
    const before = process.memoryUsage().heapUsed
    const list = new ContentWantList()
    const asset = idOf(-1)
    for (let i = 0; i < 200_000; i++) list.push({ id: idOf(i), priority: 60, size: 65536, path: 'huge.bin', asset })
    collect()
    const held = process.memoryUsage().heapUsed - before
    expect(list.length).toBe(200_000)
    expect(list.at(123_456).id).toBe(idOf(123_456))
    expect(held).toBeLessThan(4 * 2 ** 20)
  })
})

describe('fetchInSlices over a compact list', () => {
  it('makes WantRequests for one slice at a time, however long the list', async () => {
    const list = new ContentWantList()
    for (let i = 0; i < 1000; i++) list.push({ id: idOf(i), priority: i % 3 === 0 ? 80 : 40, size: 7 })
    const progress: SliceProgress = { totalObjects: 0, totalBytes: 0 }
    const sizes: number[] = []
    const ids: string[] = []
    const fetch = async (first: WantRequest[], more: () => WantRequest[]): Promise<FetchResult> => {
      let count = 0
      for (let slice = first; slice.length > 0; slice = more()) {
        sizes.push(slice.length)
        for (const w of slice) ids.push(w.id)
        count += slice.length
      }
      return { objects: count, bytes: count * 7, missing: [], denied: [], duplicates: 0 }
    }
    const result = await fetchInSlices(fetch, list, progress, 64)
    expect(Math.max(...sizes)).toBe(64)
    expect(sizes.length).toBe(Math.ceil(1000 / 64))
    expect(result.objects).toBe(1000)
    expect(progress).toMatchObject({ totalObjects: 1000, totalBytes: 7000 })
    // priority 80 (every third) first, each priority in list order
    const order = [...list.byPriority()].map((i) => idOf(i))
    expect(ids).toEqual(order)
    expect(ids.slice(0, 3)).toEqual([idOf(0), idOf(3), idOf(6)])
  })

  it('passes a list that fits one slice in one call', async () => {
    const list = new ContentWantList()
    list.push({ id: idOf(1), priority: 1 })
    const calls: WantRequest[][] = []
    await fetchInSlices(async (slice, more) => { calls.push(slice, more()); return { objects: 1, bytes: 0, missing: [], denied: [], duplicates: 0 } }, list, { totalObjects: 0, totalBytes: 0 }, 4)
    expect(calls).toEqual([[{ id: idOf(1), priority: 1 }], []])
  })
})
