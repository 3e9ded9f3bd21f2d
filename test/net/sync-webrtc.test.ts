import { afterEach, describe, expect, it } from 'vitest'
import { MemoryStore } from '../../src/objects/memory-store.js'
import type { Transport } from '../../src/peer/transport/transport.js'
import { connectPair } from '../../src/peer/transport/webrtc-transport.js'
import { syncRepo } from '../../src/peer/sync/sync-engine.js'
import { buildVersion, cloneStore, MiB, pseudoRandomBytes, readFileContent, setRef } from './helpers.js'
import { Repos, serveOn, sentBy, type Seeder } from './scenario.js'

/** The important paths again on real WebRTC data channels (node-datachannel on 127.0.0.1). */

const repos = new Repos()
const open: Transport[] = []
afterEach(async () => {
  for (const t of open.splice(0)) t.close()
  await repos.cleanup()
})

async function pair (a: string, b: string): Promise<[Transport, Transport]> {
  const p = await connectPair({ labels: { a, b } })
  open.push(...p)
  return p
}

async function seeder (name: string, bytes: Buffer): Promise<Seeder & { version: Awaited<ReturnType<typeof buildVersion>> }> {
  const store = new MemoryStore()
  const refs = await repos.refs(name)
  const version = await buildVersion(store, [{ path: 'maps/level1.umap', bytes }, { path: 'ui/logo.png', bytes: pseudoRandomBytes('logo', 3000) }])
  await setRef(refs, 'refs/heads/main', version.version)
  return { name, store, refs, version }
}

describe('sync over WebRTC on 127.0.0.1', () => {
  it('two peers: a multi-chunk asset arrives byte for byte, refs adopted', async () => {
    const bytes = pseudoRandomBytes('webrtc2', 6 * MiB)
    const seed = await seeder('seed', bytes)
    const store = new MemoryStore()
    const refs = await repos.refs('me')
    const result = await syncRepo({ store, refs, transports: [serveOn(seed, await pair('me', 'seed'))], lingerIdleMs: 0 })
    expect(result.missing).toEqual([])
    expect(result.peers).toBe(1)
    expect(await refs.read('refs/heads/main')).toBe(seed.version.version)
    const restored = await readFileContent(store, seed.version.assets.get('maps/level1.umap')!.file)
    expect(restored.equals(bytes)).toBe(true)
    expect(result.fetched.bytes).toBe(await sentBy(seed))
  })

  it('three peers: one fetches from two seeders at once, both contribute, bytes identical', async () => {
    const bytes = pseudoRandomBytes('webrtc3', 12 * MiB)
    const a = await seeder('alice', bytes)
    const b = { ...a, name: 'bob', store: cloneStore(a.store), refs: await repos.refs('bob') }
    await setRef(b.refs, 'refs/heads/main', a.version.version)
    const store = new MemoryStore()
    const refs = await repos.refs('carol')
    const transports = [serveOn(a, await pair('carol', 'alice')), serveOn(b, await pair('carol', 'bob'))]
    const result = await syncRepo({ store, refs, transports, lingerIdleMs: 0 })
    expect(result.missing).toEqual([])
    expect(result.peers).toBe(2)
    const restored = await readFileContent(store, a.version.assets.get('maps/level1.umap')!.file)
    expect(restored.equals(bytes)).toBe(true)
    const sent = [await sentBy(a), await sentBy(b)]
    expect(sent[0]).toBeGreaterThan(0)
    expect(sent[1]).toBeGreaterThan(0)
    // every byte counted as received was sent; a block the losing seeder had already sent when its
    // CANCEL (or the end of the sync) reached it arrives after the count: at most a few chunks
    expect(result.fetched.bytes).toBeLessThanOrEqual(sent[0] + sent[1])
    expect(sent[0] + sent[1] - result.fetched.bytes).toBeLessThanOrEqual(4 * 256 * 1024)
    expect(await refs.read('refs/remotes/alice/heads/main')).toBe(a.version.version)
    expect(await refs.read('refs/remotes/bob/heads/main')).toBe(a.version.version)
  })

  it('two syncing peers exchange their histories both ways over one channel', async () => {
    const sa = new MemoryStore()
    const sb = new MemoryStore()
    const ra = await repos.refs('a')
    const rb = await repos.refs('b')
    const va = await buildVersion(sa, [{ path: 'a.bin', bytes: pseudoRandomBytes('wa', 2 * MiB) }])
    const vb = await buildVersion(sb, [{ path: 'b.bin', bytes: pseudoRandomBytes('wb', 2 * MiB) }])
    await setRef(ra, 'refs/heads/a', va.version)
    await setRef(rb, 'refs/heads/b', vb.version)
    const [ta, tb] = await pair('a', 'b')
    const [resA, resB] = await Promise.all([
      syncRepo({ store: sa, refs: ra, transports: [ta], peerName: 'a' }),
      syncRepo({ store: sb, refs: rb, transports: [tb], peerName: 'b' })
    ])
    expect(resA.missing).toEqual([])
    expect(resB.missing).toEqual([])
    expect(await ra.read('refs/heads/b')).toBe(vb.version)
    expect(await rb.read('refs/heads/a')).toBe(va.version)
    expect(resA.fetched.bytes).toBe(resB.sent.bytes)
  })
})
