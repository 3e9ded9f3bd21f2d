import { describe, expect, it } from 'vitest'
import { fetchInSlices, FIRST_SLICE, type SliceProgress } from '../../src/peer/sync/content-slices.js'
import type { FetchResult, WantRequest } from '../../src/peer/swarm/swarm-options.js'
import { MemoryStore } from '../../src/objects/memory-store.js'
import { MemoryTransport } from '../../src/peer/transport/memory-transport.js'
import { syncRepo, type SyncProgress } from '../../src/peer/sync/sync-engine.js'
import { serveRepo } from '../../src/peer/sync/serve-repo.js'
import { buildVersion, MiB, pseudoRandomBytes, readFileContent, setRef, tempRefs } from '../net/helpers.js'

const want = (i: number, priority = 1): WantRequest => ({ id: `id-${i}`, priority, size: 10 })

/** A fetch that takes every slice it is fed (as the swarm does), recording each. */
function feeding (slices: string[][], result: (all: WantRequest[]) => FetchResult) {
  return async (first: WantRequest[], more: () => WantRequest[]): Promise<FetchResult> => {
    const all = [...first]
    slices.push(first.map((w) => w.id))
    for (let next = more(); next.length > 0; next = more()) {
      slices.push(next.map((w) => w.id))
      all.push(...next)
    }
    return result(all)
  }
}

describe('fetchInSlices', () => {
  it('feeds one fetch a slice at a time, highest priority first, with the whole fetch\'s totals', async () => {
    const wants = [...Array.from({ length: 7 }, (_, i) => want(i)), want(100, 9), want(101, 9)]
    const slices: string[][] = []
    const progress: SliceProgress = { totalObjects: 0, totalBytes: 0 }
    const result = await fetchInSlices(feeding(slices, (all) => ({ objects: all.length, bytes: all.length * 10, missing: [], denied: [], duplicates: 0 })), wants, progress, 4)
    expect(slices).toEqual([['id-100', 'id-101', 'id-0', 'id-1'], ['id-2', 'id-3', 'id-4', 'id-5'], ['id-6']])
    expect(result.objects).toBe(9)
    // the swarm counts what it stored; the totals are the whole fetch's
    expect(progress).toEqual({ totalObjects: 9, totalBytes: 90 })
  })

  it('starts with a small first slice however large the slices are', async () => {
    const wants = Array.from({ length: FIRST_SLICE * 3 }, (_, i) => want(i))
    const slices: string[][] = []
    await fetchInSlices(feeding(slices, () => ({ objects: 0, bytes: 0, missing: [], denied: [], duplicates: 0 })), wants, { totalObjects: 0, totalBytes: 0 }, FIRST_SLICE * 2)
    expect(slices.map((s) => s.length)).toEqual([FIRST_SLICE, FIRST_SLICE * 2])
  })

  it('passes a fetch that fits its first slice through whole (nothing more to feed), and a failing fetch fails', async () => {
    const slices: string[][] = []
    const progress: SliceProgress = { totalObjects: 0, totalBytes: 0 }
    await fetchInSlices(feeding(slices, (all) => ({ objects: all.length, bytes: 0, missing: [], denied: [], duplicates: 0 })), [want(1), want(2)], progress, 4)
    expect(slices).toEqual([['id-1', 'id-2']])
    expect(progress.totalObjects).toBe(2)
    await expect(fetchInSlices(async () => { throw new Error('every peer left') }, [want(1), want(2), want(3)], progress, 2)).rejects.toThrow('every peer left')
  })
})

describe('a sync whose content spans several slices', () => {
  it('fetches every chunk, and its progress counts the whole content, not the slice', async () => {
    const seedStore = new MemoryStore()
    const seed = await tempRefs('seed')
    const mine = await tempRefs('mine')
    try {
      const big = pseudoRandomBytes('sliced', 3 * MiB)
      const v = await buildVersion(seedStore, [{ path: 'art/big.bin', bytes: big }])
      await setRef(seed.refs, 'refs/heads/main', v.version)
      const store = new MemoryStore()
      const [a, b] = MemoryTransport.pair({ a: 'me', b: 'seed' })
      const serving = serveRepo({ store: seedStore, refs: seed.refs, transport: b, peerName: 'seed' })
      const content: SyncProgress[] = []
      const result = await syncRepo({ store, refs: mine.refs, transports: [a], peerName: 'me', contentSlice: 5, onProgress: (p) => { if (p.phase === 'content') content.push(p) } })
      await serving
      expect(result.missing).toEqual([])
      expect((await readFileContent(store, v.assets.get('art/big.bin')!.file)).equals(big)).toBe(true)
      const chunks = (await readChunkCount(seedStore, v.assets.get('art/big.bin')!.file))
      expect(chunks).toBeGreaterThan(10)
      const totals = new Set(content.filter((p) => p.totalObjects > 0).map((p) => p.totalObjects))
      expect([...totals]).toEqual([chunks])
      expect(Math.max(...content.map((p) => p.objects))).toBeGreaterThan(5)
    } finally {
      await seed.cleanup()
      await mine.cleanup()
    }
  })
})

async function readChunkCount (store: MemoryStore, file: string): Promise<number> {
  const { decodeFileManifest } = await import('../../src/objects/file-manifest.js')
  return decodeFileManifest((await store.get(file)).body).chunks.length
}
