import { afterEach, describe, expect, it } from 'vitest'
import { MemoryStore } from '../../src/objects/memory-store.js'
import { MemoryTransport } from '../../src/peer/transport/memory-transport.js'
import { syncRepo, type AppliedRefs } from '../../src/peer/sync/sync-engine.js'
import { serveRepo } from '../../src/peer/sync/serve-repo.js'
import { buildVersion, KiB, pseudoRandomBytes, setRef, type WrittenVersion } from './helpers.js'
import { Repos } from './scenario.js'

const repos = new Repos()
afterEach(async () => await repos.cleanup())

/** A seeder serving `store` with `head` as its main, on one connection: the only one the sync is given. */
async function seeder (store: MemoryStore, head: string): Promise<{ transport: MemoryTransport }> {
  const refs = await repos.refs('seed')
  await setRef(refs, 'refs/heads/main', head)
  const [mine, theirs] = MemoryTransport.pair({ b: 'seed' })
  void serveRepo({ store, refs, transport: theirs, peerName: 'seed' })
  return { transport: mine }
}

const has = (store: MemoryStore, v: WrittenVersion, path: string): boolean => v.assets.get(path)!.chunks.every((c) => store.objects.has(c.id))

describe('a sync whose refs bring a new policy', () => {
  it('fetches what the new policy wants on the same session, after the refs are applied, and reports it complete', async () => {
    const seedStore = new MemoryStore()
    const v = await buildVersion(seedStore, [
      { path: 'notes.txt', bytes: Buffer.from('notes') },
      { path: 'art/rock.bin', bytes: pseudoRandomBytes('rock', 300 * KiB) }
    ])
    const seed = await seeder(seedStore, v.version)
    const store = new MemoryStore()
    const refs = await repos.refs('me')
    const calls: AppliedRefs[] = []
    const result = await syncRepo({
      store,
      refs,
      transports: [seed.transport],
      wantContent: (path) => path === 'notes.txt',
      policyKey: 'notes only',
      lingerIdleMs: 0,
      policyAfterRefs: async (applied) => {
        calls.push(applied)
        // the refs are in place when it is asked (a checkout would read the new `.gasrules` now)
        expect(await refs.read('refs/heads/main')).toBe(v.version)
        return { wantContent: () => true, policyKey: 'everything' }
      }
    })
    expect(calls).toHaveLength(1)
    expect(calls[0].peers).toBe(1)
    expect(calls[0].refs).toEqual([expect.objectContaining({ ref: 'refs/heads/main', action: 'created' })])
    expect(has(store, v, 'notes.txt')).toBe(true)
    expect(has(store, v, 'art/rock.bin')).toBe(true)
    expect(result.missing).toEqual([])
    expect(result.fetched.bytes).toBeGreaterThanOrEqual(300 * KiB)
  })

  it('a hook that finds the policy unchanged fetches nothing more', async () => {
    const seedStore = new MemoryStore()
    const v = await buildVersion(seedStore, [{ path: 'a.txt', bytes: Buffer.from('a') }, { path: 'b.bin', bytes: pseudoRandomBytes('b', 100 * KiB) }])
    const seed = await seeder(seedStore, v.version)
    const store = new MemoryStore()
    const result = await syncRepo({ store, refs: await repos.refs('me'), transports: [seed.transport], wantContent: (path) => path === 'a.txt', lingerIdleMs: 0, policyAfterRefs: async () => undefined })
    expect(has(store, v, 'b.bin')).toBe(false)
    expect(result.missing).toEqual([])
  })

  it('without the history\'s content: a path the new rules bring costs its current version, older ones are reported left out, not missing', async () => {
    const seedStore = new MemoryStore()
    const v1 = await buildVersion(seedStore, [{ path: 'big.bin', bytes: pseudoRandomBytes('v1', 300 * KiB) }])
    const v2 = await buildVersion(seedStore, [{ path: 'big.bin', bytes: pseudoRandomBytes('v2', 300 * KiB) }], { parents: [v1.version] })
    const store = new MemoryStore()
    const refs = await repos.refs('me')
    const first = await seeder(seedStore, v2.version)
    const before = await syncRepo({ store, refs, transports: [first.transport], wantContent: () => false, policyKey: 'none', contentOfHistory: false, lingerIdleMs: 0 })
    expect(before.historyLeftOut).toEqual({ files: 0, bytes: 0 })
    expect(before.fetched.bytes).toBeLessThan(20 * KiB)

    const second = await seeder(seedStore, v2.version)
    const result = await syncRepo({
      store, refs, transports: [second.transport], wantContent: () => false, policyKey: 'none', contentOfHistory: false, lingerIdleMs: 0,
      policyAfterRefs: async () => ({ wantContent: () => true, policyKey: 'all', contentOfHistory: false })
    })
    expect(has(store, v2, 'big.bin')).toBe(true)
    expect(has(store, v1, 'big.bin')).toBe(false)
    expect(result.fetched.bytes).toBeLessThan(400 * KiB) // one version, not two (600 KiB)
    expect(result.missing).toEqual([])
    expect(result.historyLeftOut).toEqual({ files: 1, bytes: 300 * KiB })

    // the next sync asks for nothing, and still says what it leaves out
    const third = await seeder(seedStore, v2.version)
    const again = await syncRepo({ store, refs, transports: [third.transport], wantContent: () => true, policyKey: 'all', contentOfHistory: false, lingerIdleMs: 0 })
    expect(again.fetched.bytes).toBe(0)
    expect(again.missing).toEqual([])
    expect(again.historyLeftOut).toEqual({ files: 1, bytes: 300 * KiB })
  })
})
