import { describe, expect, it } from 'vitest'
import { fetchInSlices, type SliceProgress } from '../../src/peer/sync/content-slices.js'
import type { FetchResult, WantRequest } from '../../src/peer/swarm/swarm-options.js'
import { MemoryStore } from '../../src/objects/memory-store.js'
import { MemoryTransport } from '../../src/peer/transport/memory-transport.js'
import { serveRepo, syncRepo, type SyncProgress } from '../../src/peer/sync/sync-engine.js'
import { buildVersion, MiB, pseudoRandomBytes, readFileContent, setRef, tempRefs } from '../net/helpers.js'

const want = (i: number, priority = 1): WantRequest => ({ id: `id-${i}`, priority, size: 10 })

describe('fetchInSlices', () => {
  it('hands the swarm at most a slice at a time, highest priority first, and adds the results up', async () => {
    const wants = [...Array.from({ length: 7 }, (_, i) => want(i)), want(100, 9), want(101, 9)]
    const calls: string[][] = []
    const progress: SliceProgress = { objects: 0, bytes: 0, totalObjects: 0, totalBytes: 0 }
    const seen: Array<[number, number]> = []
    const fetch = async (slice: WantRequest[]): Promise<FetchResult> => {
      calls.push(slice.map((w) => w.id))
      seen.push([progress.objects, progress.totalObjects])
      // the last want of every slice is missing; id-3 is denied
      const denied = slice.filter((w) => w.id === 'id-3').map((w) => ({ id: w.id, peers: ['p'] }))
      return { objects: slice.length - 1 - denied.length, bytes: (slice.length - 1) * 10, missing: [slice.at(-1)!.id], denied, duplicates: 1 }
    }
    const result = await fetchInSlices(fetch, wants, progress, 4)
    expect(calls).toEqual([['id-100', 'id-101', 'id-0', 'id-1'], ['id-2', 'id-3', 'id-4', 'id-5'], ['id-6']])
    expect(result).toEqual({ objects: 3 + 2 + 0, bytes: 30 + 30 + 0, missing: ['id-1', 'id-5', 'id-6'], denied: [{ id: 'id-3', peers: ['p'] }], duplicates: 3 })
    // progress before each slice: what the earlier ones stored, of the whole fetch
    expect(seen).toEqual([[0, 9], [3, 9], [5, 9]])
    expect(progress.totalBytes).toBe(90)
  })

  it('passes a fetch that fits one slice through whole, and a failing slice fails the fetch', async () => {
    const calls: number[] = []
    const progress: SliceProgress = { objects: 0, bytes: 0, totalObjects: 0, totalBytes: 0 }
    await fetchInSlices(async (slice) => { calls.push(slice.length); return { objects: slice.length, bytes: 0, missing: [], denied: [], duplicates: 0 } }, [want(1), want(2)], progress, 4)
    expect(calls).toEqual([2])
    expect(progress.totalObjects).toBe(0)
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
