import { existsSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { ManualClock } from '../../src/clock.js'
import { ReadGate } from '../../src/auth/read-gate.js'
import { buildReadIndex } from '../../src/auth/read-index.js'
import { READ_INDEX_FILES_KEPT, decodeReadIndex, encodeReadIndex, readIndexCacheIn, readIndexKey } from '../../src/auth/read-index-cache.js'
import { RoleReader, parseReadRules } from '../../src/auth/read-rights.js'
import { MemoryStore } from '../../src/objects/memory-store.js'
import { realFs } from '../../src/objects/fs.js'
import { encodeLockRecord } from '../../src/objects/lock-record.js'
import { KiB, buildVersion, pseudoRandomBytes, setRef } from '../net/helpers.js'
import { Repos } from '../net/scenario.js'
import { useTmp } from '../helpers/tmp.js'

const tmp = useTmp()

const repos = new Repos()
afterEach(async () => await repos.cleanup())

const programmersNoRawArt = parseReadRules([{ roles: ['programmer'], deny: ['art/raw/'], metadata: false }])

async function project (store: MemoryStore): Promise<Awaited<ReturnType<typeof buildVersion>>> {
  return await buildVersion(store, [
    { path: 'art/raw/hero.psd', bytes: pseudoRandomBytes('psd', 300 * KiB), kind: 'texture', previews: [Uint8Array.of(1, 2, 3)] },
    { path: 'src/main.ts', bytes: pseudoRandomBytes('main', 100 * KiB), kind: 'code' }
  ])
}

describe('read index cache', () => {
  it('round-trips an index; refuses anything else', async () => {
    const store = new MemoryStore()
    const v = await project(store)
    const index = await buildReadIndex(store, [v.version], new RoleReader(programmersNoRawArt, ['programmer']))
    expect(index.complete).toBe(true)
    expect(index.hidden.size).toBeGreaterThan(0)
    const decoded = decodeReadIndex(encodeReadIndex(index))
    expect(decoded).toEqual({ chunks: index.chunks, metadata: index.metadata, hidden: index.hidden, assets: index.assets })
    const bytes = encodeReadIndex(index)
    for (const bad of [bytes.subarray(0, bytes.length - 1), Buffer.from('gas-read-index 1\n{"chunks":1}\n'), Buffer.from('gas-read-index 1\nnot json\n'), Buffer.from('gas-read-index 1'), Buffer.from('other')]) {
      expect(decodeReadIndex(bad)).toBeUndefined()
    }
  })

  it('a second serving process loads the index the first built (same policy, roles and refs), whatever lock records came meanwhile', async () => {
    const store = new MemoryStore()
    const refs = await repos.refs('cache')
    const v = await project(store)
    await setRef(refs, 'refs/heads/main', v.version)
    const dir = join(tmp(), 'read-index')
    const cache = readIndexCacheIn(realFs, dir)
    const psd = v.assets.get('art/raw/hero.psd')!
    const main = v.assets.get('src/main.ts')!
    const first = new ReadGate({ store, refs, policy: async () => programmersNoRawArt, cache, clock: new ManualClock(0) })
    expect(await first.verdict(psd.chunks[0].id, ['programmer'], 'chunk')).toBe('access-denied')
    for (let i = 0; i < 100 && !(existsSync(dir) && readdirSync(dir).some((name) => /^[0-9a-f]{64}$/.test(name))); i++) await new Promise((resolve) => setTimeout(resolve, 20))
    expect(readdirSync(dir)).toHaveLength(1)

    // a store with no objects at all: only a loaded index can answer these
    const empty = new MemoryStore()
    const second = new ReadGate({ store: empty, refs, policy: async () => programmersNoRawArt, cache, clock: new ManualClock(0) })
    expect(await second.verdict(main.chunks[0].id, ['programmer'], 'chunk')).toBe(true)
    expect(await second.verdict(psd.chunks[0].id, ['programmer'], 'chunk')).toBe('access-denied')
    expect(await second.verdict(psd.previews[0], ['programmer'])).toBe('access-denied')

    // lock and team records do not change the key: a lock taken meanwhile reuses the index
    const lockId = await store.put('lock', encodeLockRecord({ kind: 'lease', path: 'x.psd', member: { name: 'bo', publicKey: 'b'.repeat(64), email: '' } as never, certificate: null, at: 1, timeZone: 'UTC', expires: 2, reason: '', signature: null }))
    await setRef(refs, `refs/locks/x=2Epsd/${lockId}`, lockId)
    const third = new ReadGate({ store, refs, policy: async () => programmersNoRawArt, cache, clock: new ManualClock(0) })
    expect(await third.verdict(main.chunks[0].id, ['programmer'], 'chunk')).toBe(true)
    expect(readdirSync(dir)).toHaveLength(1)
    // and a HAVE question for the lock record itself is answered: metadata every member reads
    expect(await third.verdict(lockId, ['programmer'])).toBe(true)
    expect(await third.verdict(await store.put('chunk', Uint8Array.of(7)), ['programmer'])).toBe('access-denied')

    // keys: policy, roles (in any order) and refs
    expect(readIndexKey('p', ['qa', 'artist'], 'r')).toBe(readIndexKey('p', ['artist', 'qa'], 'r'))
    expect(new Set([readIndexKey('p', ['qa'], 'r'), readIndexKey('q', ['qa'], 'r'), readIndexKey('p', ['qa'], 's')]).size).toBe(3)
  })

  it('keeps the newest files only, and ignores a file that does not parse', async () => {
    const dir = join(tmp(), 'read-index')
    const cache = readIndexCacheIn(realFs, dir)
    const index = { chunks: new Set<string>(), metadata: new Set<string>(), hidden: new Set<string>(), assets: { allowed: 0, denied: 0 } }
    for (let i = 0; i < READ_INDEX_FILES_KEPT + 3; i++) await cache.save(readIndexKey('p', [], String(i)), index)
    expect(readdirSync(dir)).toHaveLength(READ_INDEX_FILES_KEPT)
    const key = readIndexKey('p', [], 'broken')
    writeFileSync(join(dir, key), 'gas-read-index 1\n{')
    expect(await cache.load(key)).toBeUndefined()
    expect(await cache.load(readIndexKey('p', [], 'absent'))).toBeUndefined()
  })
})
