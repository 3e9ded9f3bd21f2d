import { afterEach, describe, expect, it } from 'vitest'
import { MemoryStore } from '../../src/objects/memory-store.js'
import { MemoryTransport } from '../../src/peer/transport/memory-transport.js'
import { PeerSession, randomIdentity } from '../../src/peer/session/session.js'
import { openSessions } from '../../src/peer/sync/open-sessions.js'
import { safePeerName, syncRepo, type SyncProgress } from '../../src/peer/sync/sync-engine.js'
import { serveRepo } from '../../src/peer/sync/serve-repo.js'
import { buildVersion, cloneStore, KiB, pseudoRandomBytes, setRef, writeVersion } from './helpers.js'
import { Repos } from './scenario.js'

const repos = new Repos()
afterEach(async () => await repos.cleanup())

describe('syncRepo', () => {
  it('reports a peer that fails the handshake and syncs with the others', async () => {
    const seedStore = new MemoryStore()
    const seedRefs = await repos.refs('seed')
    const v = await buildVersion(seedStore, [{ path: 'a.bin', bytes: pseudoRandomBytes('a', 100 * KiB) }])
    await setRef(seedRefs, 'refs/heads/main', v.version)
    const [good, goodRemote] = MemoryTransport.pair({ b: 'seed' })
    void serveRepo({ store: seedStore, refs: seedRefs, transport: goodRemote, peerName: 'seed' })
    const [silent] = MemoryTransport.pair({ b: 'silent' })
    const [rude, rudeRemote] = MemoryTransport.pair({ b: 'rude' })
    void rudeRemote.send(Uint8Array.of(1, 3, 9, 0, 0, 0)) // WANT with mode 9 (an unknown message id would be skipped)
    const phases: SyncProgress['phase'][] = []
    const refs = await repos.refs('me')
    const start = performance.now()
    const result = await syncRepo({
      store: new MemoryStore(),
      refs,
      transports: [good, rude],
      onProgress: (p) => { if (phases.at(-1) !== p.phase) phases.push(p.phase) },
      lingerIdleMs: 0
    })
    expect(result.peers).toBe(1)
    expect(result.dropped).toEqual([expect.objectContaining({ peer: 'rude', code: 'E_PROTOCOL' })])
    expect(await refs.read('refs/heads/main')).toBe(v.version)
    expect(phases).toEqual(['connect', 'refs', 'metadata', 'content', 'apply', 'linger', 'done'])
    expect(performance.now() - start).toBeLessThan(5000)
    silent.close()
    const opened = await openSessions([silent], new MemoryStore(), { peerName: 'x' })
    expect(opened.dropped).toEqual([expect.objectContaining({ code: 'E_PEER_LOST' })])
  }, 30_000)

  it('uses sessions already open, applies no refs when told not to, and reports divergence as a conflict', async () => {
    const base = new MemoryStore()
    const v0 = await buildVersion(base, [{ path: 'x.txt', bytes: Buffer.from('x') }])
    const mine = cloneStore(base)
    const theirs = cloneStore(base)
    const ours = await writeVersion(mine, { tree: v0.tree, parents: [v0.version], message: 'mine' })
    const other = await writeVersion(theirs, { tree: v0.tree, parents: [v0.version], message: 'theirs' })
    const myRefs = await repos.refs('me')
    const theirRefs = await repos.refs('them')
    await setRef(myRefs, 'refs/heads/main', ours)
    await setRef(theirRefs, 'refs/heads/main', other)
    const [a, b] = MemoryTransport.pair()
    const [session] = await Promise.all([
      PeerSession.open({ transport: a, store: mine, identity: randomIdentity('me') }),
      serveRepo({ store: theirs, refs: theirRefs, transport: b, peerName: 'their laptop' })
    ])
    const dry = await syncRepo({ store: mine, refs: myRefs, sessions: [session], applyRefs: false, lingerIdleMs: 0 })
    expect(dry.refs).toEqual([])
    expect(await myRefs.read('refs/remotes/their_laptop/heads/main')).toBeUndefined()
    expect(mine.objects.has(other)).toBe(true)

    const [c, d] = MemoryTransport.pair()
    void serveRepo({ store: theirs, refs: theirRefs, transport: d, peerName: 'their laptop' })
    const result = await syncRepo({ store: mine, refs: myRefs, transports: [c], lingerIdleMs: 0 })
    expect(result.conflicts).toEqual([expect.objectContaining({ ref: 'refs/heads/main', local: ours, remote: other, remoteRef: 'refs/remotes/their_laptop/heads/main', why: 'diverged' })])
    expect(await myRefs.read('refs/heads/main')).toBe(ours)
    expect(await myRefs.read('refs/remotes/their_laptop/heads/main')).toBe(other)
  })

  it('with content missing, applies only the refs whose objects are all here', async () => {
    const seedStore = new MemoryStore()
    const seedRefs = await repos.refs('seed')
    const small = await buildVersion(seedStore, [{ path: 's.txt', bytes: Buffer.from('small') }])
    const big = await buildVersion(seedStore, [{ path: 'b.bin', bytes: pseudoRandomBytes('b', 200 * KiB) }])
    await setRef(seedRefs, 'refs/heads/small', small.version)
    await setRef(seedRefs, 'refs/heads/big', big.version)
    // the seeder lost one chunk of the big asset
    seedStore.objects.delete(big.assets.get('b.bin')!.chunks[0].id)
    const [a, b] = MemoryTransport.pair()
    void serveRepo({ store: seedStore, refs: seedRefs, transport: b })
    const refs = await repos.refs('me')
    const result = await syncRepo({ store: new MemoryStore(), refs, transports: [a], lingerIdleMs: 0 })
    expect(result.missing).toEqual([big.assets.get('b.bin')!.chunks[0].id])
    expect(await refs.read('refs/heads/small')).toBe(small.version)
    expect(await refs.read('refs/heads/big')).toBeUndefined()
  })

  it('lingers until the remote says it is done, or goes quiet', async () => {
    const storeA = new MemoryStore()
    const refsA = await repos.refs('a')
    const v = await buildVersion(storeA, [{ path: 'a.bin', bytes: pseudoRandomBytes('l', 50 * KiB) }])
    await setRef(refsA, 'refs/heads/main', v.version)
    const [ta, tb] = MemoryTransport.pair()
    // a remote that handshakes and advertises nothing, then neither asks nor says done
    const quiet = PeerSession.open({ transport: tb, store: new MemoryStore(), identity: randomIdentity('quiet') })
    void quiet.then(async (s) => await s.advertiseRefs([]))
    const start = performance.now()
    const result = await syncRepo({ store: storeA, refs: refsA, transports: [ta], lingerIdleMs: 300 })
    const ms = performance.now() - start
    expect(result.peers).toBe(1)
    expect(ms).toBeGreaterThanOrEqual(250)
    expect(ms).toBeLessThan(3000)
  })

  it('checks its options; peer names become safe ref path components', async () => {
    await expect(syncRepo({} as never)).rejects.toMatchObject({ code: 'E_BAD_ARGUMENT' })
    expect(safePeerName('Bob Smith/laptop')).toBe('Bob_Smith_laptop')
    expect(safePeerName('..hidden')).toBe('_hidden')
    expect(safePeerName('x.lock')).toBe('x_lock')
    expect(safePeerName('')).toBe('peer')
    expect(safePeerName('a'.repeat(100))).toHaveLength(64)
  })

  it('serveRepo on a transport that dies during the handshake rejects with a typed error', async () => {
    const [a, b] = MemoryTransport.pair()
    const serving = serveRepo({ store: new MemoryStore(), refs: await repos.refs('s'), transport: b })
    a.close()
    await expect(serving).rejects.toMatchObject({ code: 'E_PEER_LOST' })
  })

  it('a peer that said it was done and owed us nothing closes: it left, and is not reported dropped (one cut mid-transfer is: sync-simulated.test.ts)', async () => {
    const seedStore = new MemoryStore()
    const seedRefs = await repos.refs('seed-left')
    const v = await buildVersion(seedStore, [{ path: 'a.bin', bytes: pseudoRandomBytes('left', 300 * KiB) }])
    await setRef(seedRefs, 'refs/heads/main', v.version)
    const [good, goodRemote] = MemoryTransport.pair({ b: 'seed' })
    void serveRepo({ store: seedStore, refs: seedRefs, transport: goodRemote, peerName: 'seed' })
    // another member's sync that met ours: it wants nothing, says DONE, and its process ends
    const [early, earlyRemote] = MemoryTransport.pair({ b: 'early' })
    void PeerSession.open({ transport: earlyRemote, store: new MemoryStore(), identity: randomIdentity('early') }).then(async (session) => {
      await session.advertiseRefs([])
      await session.sendDone()
      earlyRemote.close()
    })
    const result = await syncRepo({ store: new MemoryStore(), refs: await repos.refs('me-left'), transports: [good, early], lingerIdleMs: 0 })
    expect(result.missing).toEqual([])
    expect(result.dropped).toEqual([])
  }, 30_000)
})
