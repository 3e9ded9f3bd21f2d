import { afterEach, describe, expect, it } from 'vitest'
import { MemoryStore } from '../../src/objects/memory-store.js'
import { MemoryTransport } from '../../src/peer/transport/memory-transport.js'
import { syncRepo } from '../../src/peer/sync/sync-engine.js'
import { serveRepo } from '../../src/peer/sync/serve-repo.js'
import { buildVersion, contentBytes, KiB, MiB, pseudoRandomBytes, readFileContent, setRef, tempRefs, type TempRepo } from './helpers.js'

const cleanups: TempRepo[] = []
afterEach(async () => { for (const r of cleanups.splice(0)) await r.cleanup() })
async function repo (label: string): Promise<TempRepo> {
  const r = await tempRefs(label)
  cleanups.push(r)
  return r
}

describe('syncRepo over MemoryTransport', () => {
  it('fetches a version with a multi-chunk asset from a serving peer, restored bytes identical', async () => {
    const seedStore = new MemoryStore()
    const seedRefs = await repo('seed')
    const big = pseudoRandomBytes('big', 3 * MiB)
    const v = await buildVersion(seedStore, [
      { path: 'art/big.bin', bytes: big },
      { path: 'art/small.txt', bytes: Buffer.from('hello'), previews: [Buffer.from('thumb')] }
    ])
    await setRef(seedRefs.refs, 'refs/heads/main', v.version)

    const store = new MemoryStore()
    const mine = await repo('mine')
    const [a, b] = MemoryTransport.pair({ a: 'me', b: 'seed' })
    const serving = serveRepo({ store: seedStore, refs: seedRefs.refs, transport: b, peerName: 'seed' })
    const result = await syncRepo({ store, refs: mine.refs, transports: [a], peerName: 'me' })
    await serving

    expect(result.peers).toBe(1)
    expect(result.missing).toEqual([])
    expect(result.conflicts).toEqual([])
    expect(await mine.refs.read('refs/heads/main')).toBe(v.version)
    expect(await mine.refs.read('refs/remotes/seed/heads/main')).toBe(v.version)
    const restored = await readFileContent(store, v.assets.get('art/big.bin')!.file)
    expect(restored.equals(big)).toBe(true)
    expect(result.fetched.bytes).toBeGreaterThanOrEqual(contentBytes(v.assets.values()))
    expect(result.fetched.objects).toBe(seedStore.objects.size)
    expect(result.sent).toEqual({ objects: 0, bytes: 0 })
  })

  it('two syncing peers exchange what each lacks and both end with both versions', async () => {
    const storeA = new MemoryStore()
    const storeB = new MemoryStore()
    const refsA = await repo('a')
    const refsB = await repo('b')
    const va = await buildVersion(storeA, [{ path: 'a.bin', bytes: pseudoRandomBytes('a', 300 * KiB) }])
    const vb = await buildVersion(storeB, [{ path: 'b.bin', bytes: pseudoRandomBytes('b', 200 * KiB) }])
    await setRef(refsA.refs, 'refs/heads/alice', va.version)
    await setRef(refsB.refs, 'refs/heads/bob', vb.version)
    const [ta, tb] = MemoryTransport.pair({ a: 'alice', b: 'bob' })
    const [ra, rb] = await Promise.all([
      syncRepo({ store: storeA, refs: refsA.refs, transports: [ta], peerName: 'alice' }),
      syncRepo({ store: storeB, refs: refsB.refs, transports: [tb], peerName: 'bob' })
    ])
    expect(await refsA.refs.read('refs/heads/bob')).toBe(vb.version)
    expect(await refsB.refs.read('refs/heads/alice')).toBe(va.version)
    expect(ra.fetched.objects).toBe(rb.sent.objects)
    expect(rb.fetched.objects).toBe(ra.sent.objects)
    expect(ra.fetched.bytes).toBe(rb.sent.bytes)
    expect((await readFileContent(storeB, va.assets.get('a.bin')!.file)).length).toBe(300 * KiB)
  })
})
