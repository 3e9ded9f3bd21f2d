import { afterEach, describe, expect, it } from 'vitest'
import { MemoryStore } from '../../src/objects/memory-store.js'
import { ManualClock } from '../../src/clock.js'
import { SimulatedLink } from '../../src/peer/transport/simulated-link.js'
import { ENDGAME_ITEMS } from '../../src/peer/swarm/swarm.js'
import { buildVersion, cloneStore, contentBytes, KiB, MiB, pseudoRandomBytes, readFileContent, setRef } from './helpers.js'
import { CorruptingStore, Repos, serveOn, sentBy, TimedStore, timedSync, type Seeder } from './scenario.js'

const repos = new Repos()
afterEach(async () => await repos.cleanup())

/** seeded LCG so loss/jitter runs are reproducible */
function seeded (seed: number): () => number {
  return () => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed / 0x7fffffff }
}

async function seeder (name: string, store = new MemoryStore()): Promise<Seeder> {
  return { name, store, refs: await repos.refs(name) }
}

describe('sync on simulated links', () => {
  it('200 ms RTT with 2% loss: completes, bytes identical, link kept busy', async () => {
    const clock = new ManualClock()
    const seed = await seeder('far')
    const bytes = pseudoRandomBytes('rtt', 4 * MiB)
    const v = await buildVersion(seed.store, [{ path: 'level.pak', bytes }])
    await setRef(seed.refs, 'refs/heads/main', v.version)
    const bandwidth = 4_000_000
    const link = SimulatedLink.pair({ clock, bandwidth, latencyMs: 100, loss: 0.02, random: seeded(7) })
    const store = new MemoryStore()
    const { result } = await timedSync({ clock, store, refs: await repos.refs('me'), transports: [serveOn(seed, link, clock)] })
    expect(result.missing).toEqual([])
    expect((await readFileContent(store, v.assets.get('level.pak')!.file)).equals(bytes)).toBe(true)
    // 4 MiB at 4 MB/s is 1.05 s; metadata rounds and the HAVE probe add ~5 RTT; slow start a few more
    expect(result.fetchSeconds * 1000).toBeLessThan(5000)
    expect(result.fetched.bytes).toBeLessThan(contentBytes(v.assets.values()) * 1.01 + 64 * KiB)
  })

  it('64 KiB/s link: version records, previews and small assets arrive first and promptly', async () => {
    const clock = new ManualClock()
    const seed = await seeder('slow')
    const small = Array.from({ length: 4 }, (_, i) => ({ path: `ui/icon${i}.png`, bytes: pseudoRandomBytes(`icon${i}`, 2 * KiB), previews: [pseudoRandomBytes(`p${i}`, 300)] }))
    const v1 = await buildVersion(seed.store, [{ path: 'audio/theme.wav', bytes: pseudoRandomBytes('theme', 400 * KiB) }, ...small])
    const v2 = await buildVersion(seed.store, [], { parents: [v1.version], reuse: [...v1.assets.values()] })
    await setRef(seed.refs, 'refs/heads/main', v2.version)
    const store = new TimedStore(clock)
    const { result } = await timedSync({ clock, store, refs: await repos.refs('me'), transports: [serveOn(seed, SimulatedLink.pair({ clock, bandwidth: 64 * KiB, latencyMs: 20 }), clock)] })
    expect(result.missing).toEqual([])
    // why: from the first object in, so the time the refs' files take on this machine's disk does not count
    const start = Math.min(...store.arrivals.values())
    const at = (id: string): number => store.arrivals.get(id)! - start
    const metadata = [v1.version, v2.version, v1.tree, ...[...v1.assets.values()].flatMap((a) => [a.asset, a.file, ...a.previews])]
    const smallChunks = small.flatMap((s) => v1.assets.get(s.path)!.chunks.map((c) => c.id))
    const lastMetadata = Math.max(...metadata.map(at))
    const lastSmall = Math.max(...smallChunks.map(at))
    const firstBig = Math.min(...v1.assets.get('audio/theme.wav')!.chunks.map((c) => at(c.id)))
    // the whole transfer takes ~7 s; what a user looks at first is there within a second or so
    expect(result.fetchSeconds * 1000).toBeGreaterThan(6000)
    expect(lastMetadata).toBeLessThan(1500)
    expect(lastSmall).toBeLessThan(1500)
    expect(lastSmall).toBeLessThan(firstBig)
  })

  it('three seeders at 2, 4 and 8 MB/s: all contribute by speed, near the sum of their rates', async () => {
    const clock = new ManualClock()
    const bytes = pseudoRandomBytes('three', 24 * MiB)
    const first = await seeder('s2')
    const v = await buildVersion(first.store, [{ path: 'build.zip', bytes }])
    const seeders = [first, await seeder('s4', cloneStore(first.store)), await seeder('s8', cloneStore(first.store))]
    for (const s of seeders) await setRef(s.refs, 'refs/heads/main', v.version)
    const rates = [2e6, 4e6, 8e6]
    const transports = seeders.map((s, i) => serveOn(s, SimulatedLink.pair({ clock, bandwidth: rates[i], latencyMs: 10, labels: { a: 'me', b: s.name } }), clock))
    const store = new MemoryStore()
    const { result } = await timedSync({ clock, store, refs: await repos.refs('me'), transports })
    expect(result.missing).toEqual([])
    expect((await readFileContent(store, v.assets.get('build.zip')!.file)).equals(bytes)).toBe(true)
    const sent = await Promise.all(seeders.map(sentBy))
    expect(sent[0]).toBeGreaterThan(0)
    expect(sent[1]).toBeGreaterThan(sent[0])
    expect(sent[2]).toBeGreaterThan(sent[1])
    const throughput = result.fetched.bytes / result.fetchSeconds
    expect(throughput).toBeGreaterThan(0.6 * 14e6)
    // duplicates: the end game, plus requests an idle fast peer takes over from one stuck at the 2 MB/s peer
    expect(result.duplicates).toBeLessThanOrEqual(2 * ENDGAME_ITEMS)
  })

  it('a seeder dropping mid-transfer: the others finish, nothing is fetched twice', async () => {
    const clock = new ManualClock()
    const bytes = pseudoRandomBytes('drop', 8 * MiB)
    const a = await seeder('quitter')
    const b = await seeder('stayer')
    const v = await buildVersion(a.store, [{ path: 'tex.dds', bytes }])
    b.store = cloneStore(a.store)
    for (const s of [a, b]) await setRef(s.refs, 'refs/heads/main', v.version)
    const store = new MemoryStore()
    const { result } = await timedSync({
      clock,
      store,
      refs: await repos.refs('me'),
      transports: [
        serveOn(a, SimulatedLink.pair({ clock, bandwidth: 8e6, latencyMs: 10, disconnectAtByte: 3 * MiB }), clock),
        serveOn(b, SimulatedLink.pair({ clock, bandwidth: 4e6, latencyMs: 10 }), clock)
      ]
    })
    expect(result.missing).toEqual([])
    expect(result.dropped.map((d) => d.code)).toContain('E_PEER_LOST')
    expect((await readFileContent(store, v.assets.get('tex.dds')!.file)).equals(bytes)).toBe(true)
    // what was in flight at the quitter is fetched again; nothing else
    expect(result.fetched.bytes).toBeLessThan(bytes.length + 2 * MiB)
  })

  it('a peer serving corrupted chunks is dropped and its chunks fetched elsewhere; nothing bad is stored', async () => {
    const clock = new ManualClock()
    const bytes = pseudoRandomBytes('bad', 2 * MiB)
    const liar = await seeder('liar', new CorruptingStore())
    const honest = await seeder('honest')
    const v = await buildVersion(liar.store, [{ path: 'm.fbx', bytes }])
    honest.store = cloneStore(liar.store)
    for (const s of [liar, honest]) await setRef(s.refs, 'refs/heads/main', v.version)
    const store = new MemoryStore()
    const { result } = await timedSync({
      clock,
      store,
      refs: await repos.refs('me'),
      transports: [
        serveOn(liar, SimulatedLink.pair({ clock, bandwidth: 50e6, latencyMs: 2 }), clock),
        serveOn(honest, SimulatedLink.pair({ clock, bandwidth: 5e6, latencyMs: 10 }), clock)
      ]
    })
    expect(result.missing).toEqual([])
    expect(result.dropped).toEqual([expect.objectContaining({ peer: 'liar', code: 'E_CORRUPT_OBJECT' })])
    expect((liar.store as CorruptingStore).served).toBeGreaterThan(0)
    expect((await readFileContent(store, v.assets.get('m.fbx')!.file)).equals(bytes)).toBe(true)
  })

  it('only a corrupting peer: the chunks stay missing, the ref is not moved, nothing corrupt is stored', async () => {
    const clock = new ManualClock()
    const liar = await seeder('liar', new CorruptingStore())
    const v = await buildVersion(liar.store, [{ path: 'm.bin', bytes: pseudoRandomBytes('x', 300 * KiB) }])
    await setRef(liar.refs, 'refs/heads/main', v.version)
    const store = new MemoryStore()
    const refs = await repos.refs('me')
    const { result } = await timedSync({ clock, store, refs, transports: [serveOn(liar, SimulatedLink.pair({ clock, latencyMs: 1 }), clock)] })
    expect(result.missing.length).toBeGreaterThan(0)
    expect(await refs.read('refs/heads/main')).toBeUndefined()
    for (const [id] of store.objects) await expect(store.get(id)).resolves.toBeDefined()
  })
})
