import { afterEach, describe, expect, it } from 'vitest'
import type { ObjectId } from '../../src/objects/id.js'
import { MemoryStore } from '../../src/objects/memory-store.js'
import type { EncodedObject } from '../../src/objects/store.js'
import { syncRepo } from '../../src/peer/sync/sync-engine.js'
import { serveRepo } from '../../src/peer/sync/serve-repo.js'
import { MemoryTransport } from '../../src/peer/transport/memory-transport.js'
import { buildVersion, KiB, pseudoRandomBytes, setRef, type WrittenVersion } from './helpers.js'
import { Repos } from './scenario.js'

const repos = new Repos()
afterEach(async () => await repos.cleanup())

/** A store that counts what a walk asks of it: reads by id, and `has` questions by id. */
class CountingStore extends MemoryStore {
  readonly reads = new Map<ObjectId, number>()
  readonly asked = new Map<ObjectId, number>()
  override async get (id: ObjectId): ReturnType<MemoryStore['get']> {
    this.reads.set(id, (this.reads.get(id) ?? 0) + 1)
    return await super.get(id)
  }

  override async has (id: ObjectId): Promise<boolean> {
    this.asked.set(id, (this.asked.get(id) ?? 0) + 1)
    return await super.has(id)
  }

  reset (): void {
    this.reads.clear()
    this.asked.clear()
  }
}

/** A seeder that stops serving (closes the connection) after sending `limit` chunks. */
class StoppingStore extends MemoryStore {
  sent = 0
  onLimit = (): void => {}
  constructor (private readonly limit: number) { super() }
  override async getEncoded (id: ObjectId): Promise<EncodedObject | undefined> {
    const object = await super.getEncoded(id)
    if (object?.type === 'chunk' && ++this.sent > this.limit) {
      this.onLimit()
      return undefined
    }
    return object
  }
}

async function seed (store: MemoryStore): Promise<{ v: WrittenVersion, chunks: ObjectId[], refs: Awaited<ReturnType<Repos['refs']>> }> {
  const v = await buildVersion(store, [
    { path: 'art/big.bin', bytes: pseudoRandomBytes('big', 600 * KiB) },
    { path: 'docs/readme.md', bytes: Buffer.from('hello') }
  ])
  const refs = await repos.refs(`seed-${Math.random()}`)
  await setRef(refs, 'refs/heads/main', v.version)
  const chunks = [...v.assets.values()].flatMap((a) => a.chunks.map((c) => c.id))
  return { v, chunks, refs }
}

async function syncFrom (seedStore: MemoryStore, seedRefs: Awaited<ReturnType<Repos['refs']>>, store: MemoryStore, name: string, onTransport?: (t: MemoryTransport) => void): Promise<Awaited<ReturnType<typeof syncRepo>>> {
  const [a, b] = MemoryTransport.pair({ a: name, b: 'seed' })
  onTransport?.(b)
  void serveRepo({ store: seedStore, refs: seedRefs, transport: b, peerName: 'seed' }).catch(() => {})
  return await syncRepo({ store, refs: await repos.refs(name), transports: [a], peerName: name, lingerIdleMs: 0 })
}

describe('a sync records the trees it made whole', () => {
  it('without walking the fetched content again; a sync with nothing new reads nothing below a whole tree', async () => {
    const seedStore = new MemoryStore()
    const { v, chunks, refs } = await seed(seedStore)
    expect(chunks.length).toBeGreaterThan(4)
    const store = new CountingStore()
    const result = await syncFrom(seedStore, refs, store, 'me')
    expect(result.missing).toEqual([])
    expect(store.completeTrees.has(v.tree)).toBe(true)
    // one walk saw the manifests and asked about each chunk; after the fetch nothing was asked again
    for (const asset of v.assets.values()) expect(store.reads.get(asset.file)).toBe(1)
    for (const chunk of chunks) expect(store.asked.get(chunk) ?? 0).toBeLessThanOrEqual(1)

    store.reset()
    const again = await syncFrom(seedStore, refs, store, 'me')
    expect(again.missing).toEqual([])
    for (const asset of v.assets.values()) {
      expect(store.reads.get(asset.file)).toBeUndefined()
      expect(store.reads.get(asset.asset)).toBeUndefined()
    }
    for (const chunk of chunks) expect(store.asked.get(chunk)).toBeUndefined()
  }, 30_000)

  it('a fetch that stops midway records no whole tree; the sync that brings the rest does', async () => {
    const stopping = new StoppingStore(2)
    const { v, chunks, refs } = await seed(stopping)
    const store = new MemoryStore()
    const cut = await syncFrom(stopping, refs, store, 'me', (t) => { stopping.onLimit = () => t.close() }).catch((err: unknown) => err)
    const stored = chunks.filter((id) => store.objects.has(id)).length
    expect(stored).toBeLessThan(chunks.length)
    if (!(cut instanceof Error)) expect(cut.missing.length).toBeGreaterThan(0)
    expect(store.completeTrees.has(v.tree)).toBe(false)

    const whole = new MemoryStore()
    for (const [id, o] of stopping.objects) whole.objects.set(id, o)
    const rest = await syncFrom(whole, refs, store, 'me')
    expect(rest.missing).toEqual([])
    expect(chunks.every((id) => store.objects.has(id))).toBe(true)
    expect(store.completeTrees.has(v.tree)).toBe(true)
  }, 30_000)

  it('content the seeder lacks keeps every tree out until a later sync brings it', async () => {
    const seedStore = new MemoryStore()
    const { v, refs } = await seed(seedStore)
    const lost = v.assets.get('art/big.bin')!.chunks[1].id
    const body = seedStore.objects.get(lost)!
    seedStore.objects.delete(lost)
    const store = new MemoryStore()
    const result = await syncFrom(seedStore, refs, store, 'me')
    expect(result.missing).toEqual([lost])
    expect(store.completeTrees.has(v.tree)).toBe(false)
    seedStore.objects.set(lost, body)
    const done = await syncFrom(seedStore, refs, store, 'me')
    expect(done.missing).toEqual([])
    expect(store.completeTrees.has(v.tree)).toBe(true)
  }, 30_000)
})
