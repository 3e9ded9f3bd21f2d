import { afterEach, describe, expect, it } from 'vitest'
import { MemoryStore } from '../../src/objects/memory-store.js'
import { FileStore } from '../../src/pack/file-store.js'
import { MemoryTransport } from '../../src/peer/transport/memory-transport.js'
import { syncRepo } from '../../src/peer/sync/sync-engine.js'
import { serveRepo } from '../../src/peer/sync/serve-repo.js'
import { useTmp } from '../helpers/tmp.js'
import { buildVersion, KiB, pseudoRandomBytes, setRef } from './helpers.js'
import { Repos } from './scenario.js'

const repos = new Repos()
afterEach(async () => await repos.cleanup())
const tmp = useTmp()

describe('a sync\'s metadata rounds (flushed once, before the refs)', () => {
  it('leaves what it fetched durable and indexed before any ref names it, even with no content to fetch', async () => {
    const seedStore = new MemoryStore()
    const v = await buildVersion(seedStore, [
      { path: 'notes.txt', bytes: Buffer.from('notes') },
      { path: 'art/rock.bin', bytes: pseudoRandomBytes('rock', 300 * KiB) }
    ])
    const seedRefs = await repos.refs('seed')
    await setRef(seedRefs, 'refs/heads/main', v.version)
    const [mine, theirs] = MemoryTransport.pair({ b: 'seed' })
    void serveRepo({ store: seedStore, refs: seedRefs, transport: theirs, peerName: 'seed' })
    const dir = tmp()
    const store = await FileStore.open(dir)
    const refs = await repos.refs('me')
    // no content wanted: the metadata rounds are all this sync fetches
    const result = await syncRepo({ store, refs, transports: [mine], wantContent: () => false, policyKey: 'none', lingerIdleMs: 0 })
    expect(result.missing).toEqual([])
    expect(await refs.read('refs/remotes/seed/heads/main')).toBe(v.version)
    // another process's view (this store still open: its pack is not "dead", so nothing is recovered for it)
    const other = await FileStore.open(dir)
    try {
      for (const id of [v.tree, ...[...v.assets.values()].flatMap((a) => [a.asset, a.file])]) expect(await other.has(id)).toBe(true)
      expect(await other.has(v.assets.get('art/rock.bin')!.chunks[0].id, 'chunk')).toBe(false)
    } finally {
      await other.closeAll()
      await store.closeAll()
    }
  })
})
