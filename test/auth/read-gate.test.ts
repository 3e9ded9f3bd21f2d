import { afterEach, describe, expect, it } from 'vitest'
import { ManualClock } from '../../src/clock.js'
import { ReadGate, rolesOf } from '../../src/auth/read-gate.js'
import { buildReadIndex } from '../../src/auth/read-index.js'
import { RoleReader, parseReadRules, type ReadPolicy } from '../../src/auth/read-rights.js'
import { encodeBuild } from '../../src/objects/build.js'
import { MemoryStore } from '../../src/objects/memory-store.js'
import { encodeTag } from '../../src/objects/tag.js'
import { MemoryTransport } from '../../src/peer/transport/memory-transport.js'
import { randomIdentity } from '../../src/peer/session/session.js'
import { syncRepo } from '../../src/peer/sync/sync-engine.js'
import { serveRepo } from '../../src/peer/sync/serve-repo.js'
import { syncIncompleteError } from '../../src/peer/sync/sync-outcome.js'
import { KiB, buildVersion, pseudoRandomBytes, readFileContent, setRef, writeAsset } from '../net/helpers.js'
import { Repos } from '../net/scenario.js'

const repos = new Repos()
afterEach(async () => await repos.cleanup())

/** A project where art/raw shares content with files outside it: a whole file, and the head of another. */
async function project (store: MemoryStore): Promise<Awaited<ReturnType<typeof buildVersion>>> {
  const shared = pseudoRandomBytes('shared', 300 * KiB)
  const head = pseudoRandomBytes('head', 600 * KiB)
  return await buildVersion(store, [
    { path: 'art/raw/hero.psd', bytes: pseudoRandomBytes('psd', 400 * KiB), kind: 'texture', previews: [Uint8Array.of(1, 2, 3)] },
    { path: 'art/raw/copy.bin', bytes: shared },
    { path: 'art/raw/long.bin', bytes: Buffer.concat([head, pseudoRandomBytes('tail', 500 * KiB)]) },
    { path: 'docs/copy.bin', bytes: shared },
    { path: 'tools/head.bin', bytes: head },
    { path: 'src/main.ts', bytes: Buffer.from('export {}\n'), kind: 'code' },
    { path: 'art/final/hero.png', bytes: pseudoRandomBytes('png', 200 * KiB), kind: 'texture', previews: [Uint8Array.of(4)] }
  ])
}

const noRawArt = parseReadRules([{ deny: ['art/raw/'] }])

describe('read index', () => {
  it('allows a chunk held by any readable asset, withholds metadata only when told', async () => {
    const store = new MemoryStore()
    const v = await project(store)
    const a = (path: string): NonNullable<ReturnType<typeof v.assets.get>> => v.assets.get(path)!
    const index = await buildReadIndex(store, [v.version], new RoleReader(noRawArt, ['qa']))
    expect(index.assets).toEqual({ allowed: 4, denied: 3 })
    for (const c of a('art/raw/hero.psd').chunks) expect(index.chunks.has(c.id)).toBe(false)
    // the whole shared file, and the head chunks of long.bin that tools/head.bin holds
    for (const c of a('art/raw/copy.bin').chunks) expect(index.chunks.has(c.id)).toBe(true)
    const long = a('art/raw/long.bin').chunks.map((c) => c.id)
    const headIds = new Set(a('tools/head.bin').chunks.map((c) => c.id))
    expect(long.filter((id) => headIds.has(id)).length).toBeGreaterThan(0)
    expect(long.filter((id) => index.chunks.has(id))).toEqual(long.filter((id) => headIds.has(id)))
    expect(index.hidden.size).toBe(0)
    expect(index.metadata.has(a('art/raw/hero.psd').previews[0])).toBe(true)

    const hiding = parseReadRules([{ deny: ['art/raw/'], metadata: false }])
    const hidden = await buildReadIndex(store, [v.version], new RoleReader(hiding, []))
    expect(hidden.hidden.has(a('art/raw/hero.psd').previews[0])).toBe(true)
    expect(hidden.hidden.has(a('art/raw/hero.psd').file)).toBe(true)
    // the same file readable at docs/ is not hidden
    expect(hidden.hidden.has(a('art/raw/copy.bin').file)).toBe(false)
  })

  it('walks history, tags and builds, and skips what the store lacks', async () => {
    const store = new MemoryStore()
    const old = await buildVersion(store, [{ path: 'art/raw/old.psd', bytes: pseudoRandomBytes('old', 50 * KiB) }, { path: 'a.txt', bytes: Buffer.from('a') }])
    const next = await buildVersion(store, [{ path: 'a.txt', bytes: Buffer.from('b') }], { parents: [old.version] })
    const tag = await store.put('tag', encodeTag({ object: next.version, objectType: 'version', name: 'v1', tagger: { name: 't', publicKey: '0'.repeat(64) }, time: { seconds: 1, offsetMinutes: 0, timeZone: 'UTC' }, message: 'v1', signature: null }))
    const exe = await writeAsset(store, { path: 'game.exe', bytes: pseudoRandomBytes('exe', 40 * KiB) })
    const build = await store.put('build', encodeBuild({ name: 'nightly', version: '7', platform: 'win64', engine: null, source: { kind: 'none', version: null }, publisher: { name: 't', publicKey: '0'.repeat(64) }, time: { seconds: 1, offsetMinutes: 0, timeZone: 'UTC' }, files: [{ path: 'game.exe', mode: 0o644, size: exe.size, sha256: exe.sha256, file: exe.file }], dependencies: [], merkleRoot: '0'.repeat(64), signature: null }))
    const policy = parseReadRules([{ deny: ['art/raw/'] }, { kinds: ['build'], deny: ['nightly@*/**'] }])
    const index = await buildReadIndex(store, [tag, build, 'f'.repeat(64)], new RoleReader(policy, []))
    expect(old.assets.get('art/raw/old.psd')!.chunks.every((c) => !index.chunks.has(c.id))).toBe(true)
    expect(index.chunks.has(old.assets.get('a.txt')!.chunks[0].id)).toBe(true)
    expect(index.metadata.has(old.version)).toBe(true)
    expect(exe.chunks.every((c) => !index.chunks.has(c.id))).toBe(true)
    expect(index.assets.denied).toBe(2)
  })
})

describe('read gate', () => {
  it('answers per object for the roles, builds once per (policy, roles, refs), and sees new refs', async () => {
    const store = new MemoryStore()
    const refs = await repos.refs('gate')
    const v = await project(store)
    await setRef(refs, 'refs/heads/main', v.version)
    const clock = new ManualClock(0)
    let policy: ReadPolicy | undefined = parseReadRules([{ roles: ['programmer'], deny: ['art/raw/'] }])
    const gate = new ReadGate({ store, refs, policy: async () => policy, clock })
    const psd = v.assets.get('art/raw/hero.psd')!
    expect(await gate.verdict(psd.chunks[0].id, ['programmer'], 'chunk')).toBe('access-denied')
    expect(await gate.verdict(psd.chunks[0].id, ['programmer'])).toBe('access-denied')
    expect(await gate.verdict(psd.file, ['programmer'], 'file')).toBe(true)
    expect(await gate.verdict(psd.previews[0], ['programmer'])).toBe(true)
    expect(await gate.verdict(v.assets.get('docs/copy.bin')!.chunks[0].id, ['programmer'], 'chunk')).toBe(true)
    expect(await gate.verdict(psd.chunks[0].id, ['artist'], 'chunk')).toBe(true)
    expect(gate.builds).toBe(1)
    // a version committed after the index was built: refused until the refs are looked at again
    const later = await buildVersion(store, [{ path: 'src/new.ts', bytes: pseudoRandomBytes('new', 30 * KiB), kind: 'code' }], { parents: [v.version] })
    await setRef(refs, 'refs/heads/main', later.version)
    const fresh = later.assets.get('src/new.ts')!.chunks[0].id
    expect(await gate.verdict(fresh, ['programmer'], 'chunk')).toBe('access-denied')
    clock.advance(2_000)
    expect(await gate.verdict(fresh, ['programmer'], 'chunk')).toBe(true)
    expect(gate.builds).toBe(2)
    // content no ref names: refused to a restricted member
    const loose = await store.put('chunk', Uint8Array.of(42))
    expect(await gate.verdict(loose, ['programmer'], 'chunk')).toBe('access-denied')
    // the policy goes away: everything flows again
    policy = undefined
    clock.advance(2_000)
    expect(await gate.verdict(psd.chunks[0].id, ['programmer'], 'chunk')).toBe(true)
  })

  it('takes roles only from the certificate', () => {
    const hello = { certificate: { team: 't', member: { name: 'a', publicKey: '', roles: ['qa'] }, signature: '' } }
    expect(rolesOf(hello as never)).toEqual(['qa'])
    expect(rolesOf({ certificate: null } as never)).toEqual([])
  })
})

describe('a sync without read rights to art/raw/', () => {
  it('gets everything else, metadata and previews included, and records each denied asset', async () => {
    const serverStore = new MemoryStore()
    const serverRefs = await repos.refs('server')
    const v = await project(serverStore)
    await setRef(serverRefs, 'refs/heads/main', v.version)
    const gate = new ReadGate({ store: serverStore, refs: serverRefs, policy: async () => noRawArt })
    const [mine, theirs] = MemoryTransport.pair({ a: 'prog', b: 'ana' })
    const serving = serveRepo({ store: serverStore, refs: serverRefs, transport: theirs, identity: randomIdentity('ana'), mayServe: gate.mayServe })
    const store = new MemoryStore()
    const refs = await repos.refs('prog')
    const result = await syncRepo({ store, refs, transports: [mine], identity: randomIdentity('prog'), lingerIdleMs: 0 })
    expect(result.accessDenied).toEqual([
      { code: 'E_ACCESS_DENIED', path: 'art/raw/hero.psd', objects: v.assets.get('art/raw/hero.psd')!.chunks.length, peers: ['ana'] },
      { code: 'E_ACCESS_DENIED', path: 'art/raw/long.bin', objects: expect.any(Number), peers: ['ana'] }
    ])
    expect(result.missing).toEqual([])
    expect(syncIncompleteError(result)).toBeNull()
    // the branch moved: the version is complete for what this member may read
    expect(await refs.read('refs/heads/main')).toBe(v.version)
    for (const path of ['docs/copy.bin', 'tools/head.bin', 'src/main.ts', 'art/final/hero.png', 'art/raw/copy.bin']) {
      expect((await readFileContent(store, v.assets.get(path)!.file)).length).toBe(v.assets.get(path)!.size)
    }
    const psd = v.assets.get('art/raw/hero.psd')!
    expect(await store.has(psd.asset)).toBe(true)
    expect(await store.has(psd.file)).toBe(true)
    expect(await store.has(psd.previews[0])).toBe(true)
    expect(await store.has(psd.chunks[0].id)).toBe(false)
    // the serving side ended normally when the requester closed: refusing crashed nothing
    const server = await serving
    expect(server.remoteDone).toBe(true)
    expect(server.error?.code ?? 'E_PEER_LOST').toBe('E_PEER_LOST')
    expect(server.ledger.objectsSent).toBe(result.fetched.objects)
  })

  it('with "metadata": false the previews and manifests are withheld too, and the sync still completes', async () => {
    const serverStore = new MemoryStore()
    const serverRefs = await repos.refs('server')
    const v = await project(serverStore)
    await setRef(serverRefs, 'refs/heads/main', v.version)
    const gate = new ReadGate({ store: serverStore, refs: serverRefs, policy: async () => parseReadRules([{ deny: ['art/raw/hero.psd'], metadata: false }]) })
    const [mine, theirs] = MemoryTransport.pair({ a: 'prog', b: 'ana' })
    void serveRepo({ store: serverStore, refs: serverRefs, transport: theirs, identity: randomIdentity('ana'), mayServe: gate.mayServe })
    const store = new MemoryStore()
    const refs = await repos.refs('prog')
    const result = await syncRepo({ store, refs, transports: [mine], identity: randomIdentity('prog'), lingerIdleMs: 0 })
    expect(result.accessDenied).toEqual([{ code: 'E_ACCESS_DENIED', path: 'art/raw/hero.psd', objects: 2, peers: ['ana'] }])
    expect(result.missing).toEqual([])
    const psd = v.assets.get('art/raw/hero.psd')!
    expect(await store.has(psd.asset)).toBe(true)
    expect(await store.has(psd.file)).toBe(false)
    expect(await store.has(psd.previews[0])).toBe(false)
    expect(await refs.read('refs/heads/main')).toBe(v.version)
  })
})
