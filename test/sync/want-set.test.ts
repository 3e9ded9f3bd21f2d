import { describe, expect, it } from 'vitest'
import { MemoryStore } from '../../src/objects/memory-store.js'
import { encodeTag } from '../../src/objects/tag.js'
import { computeWantSet, contentPriority, missingObjects, PRIORITY_CONTENT_MAX, PRIORITY_METADATA, PRIORITY_PREVIEW } from '../../src/sync/want-set.js'
import { buildVersion, KiB, pseudoRandomBytes, type WrittenVersion } from '../net/helpers.js'

async function copy (from: MemoryStore, to: MemoryStore, ids: string[]): Promise<void> {
  for (const id of ids) {
    const o = await from.get(id)
    await to.put(o.type, o.body)
  }
}

async function twoVersions (): Promise<{ src: MemoryStore, v1: WrittenVersion, v2: WrittenVersion }> {
  const src = new MemoryStore()
  const v1 = await buildVersion(src, [
    { path: 'art/hero.png', bytes: pseudoRandomBytes('hero', 300 * KiB), kind: 'texture', previews: [Buffer.from('thumb')] },
    { path: 'docs/readme.md', bytes: Buffer.from('hello'), kind: 'document' }
  ])
  const v2 = await buildVersion(src, [{ path: 'audio/theme.wav', bytes: pseudoRandomBytes('theme', 200 * KiB), kind: 'audio' }], { parents: [v1.version], reuse: [...v1.assets.values()] })
  return { src, v1, v2 }
}

/** Fetches what the want-set asks for, round after round, like syncRepo does. */
async function fetchAll (src: MemoryStore, dst: MemoryStore, roots: string[], opts: Partial<Parameters<typeof computeWantSet>[0]> = {}): Promise<number> {
  let rounds = 0
  for (;;) {
    const set = await computeWantSet({ store: dst, roots, ...opts })
    if (set.complete) {
      await copy(src, dst, set.content.map((w) => w.id))
      return rounds
    }
    rounds++
    await copy(src, dst, set.metadata.map((w) => w.id))
  }
}

describe('computeWantSet', () => {
  it('an empty store wants the roots first, then level by level; metadata above content priorities', async () => {
    const { src, v2 } = await twoVersions()
    const dst = new MemoryStore()
    const first = await computeWantSet({ store: dst, roots: [v2.version] })
    expect(first.complete).toBe(false)
    expect(first.metadata).toEqual([{ id: v2.version, kind: 'metadata', priority: PRIORITY_METADATA, path: undefined }])
    expect(first.content).toEqual([])
    const rounds = await fetchAll(src, dst, [v2.version])
    expect(rounds).toBeGreaterThanOrEqual(4)
    for (const id of src.objects.keys()) expect(dst.objects.has(id)).toBe(true)
    const done = await computeWantSet({ store: dst, roots: [v2.version] })
    expect(done).toMatchObject({ metadata: [], content: [], contentBytes: 0, complete: true })
    expect(done.newlyWhole).toContain(v2.tree)
  })

  it('lists content small assets first, with sizes and paths, once metadata is complete', async () => {
    const { src, v2 } = await twoVersions()
    const dst = new MemoryStore()
    await copy(src, dst, [...src.objects.entries()].filter(([, o]) => o.type !== 'chunk').map(([id]) => id))
    const set = await computeWantSet({ store: dst, roots: [v2.version] })
    expect(set.complete).toBe(true)
    const readme = v2.assets.get('docs/readme.md')!
    expect(set.content.find((w) => w.id === readme.chunks[0].id)).toEqual({ id: readme.chunks[0].id, kind: 'content', priority: contentPriority(5), size: 5, path: 'docs/readme.md', asset: readme.asset })
    expect(set.contentBytes).toBe(300 * KiB + 200 * KiB + 5)
    const streamed = []
    for await (const w of missingObjects({ store: dst, roots: [v2.version] })) streamed.push(w.id)
    expect(streamed).toEqual(set.content.map((w) => w.id))
  })

  it('previews are metadata at their own priority, always wanted even when content is filtered out', async () => {
    const { src, v1 } = await twoVersions()
    const dst = new MemoryStore()
    await copy(src, dst, [v1.version, v1.tree])
    const hero = v1.assets.get('art/hero.png')!
    await copy(src, dst, [...src.objects.entries()].filter(([, o]) => o.type === 'tree').map(([id]) => id))
    await copy(src, dst, [hero.asset])
    const set = await computeWantSet({ store: dst, roots: [v1.version], wantContent: () => false })
    expect(set.metadata).toContainEqual({ id: hero.previews[0], kind: 'metadata', priority: PRIORITY_PREVIEW, path: 'art/hero.png' })
    await fetchAll(src, dst, [v1.version], { wantContent: (_path, asset) => asset.kind !== 'texture' })
    expect(dst.objects.has(hero.file)).toBe(true)
    expect(hero.chunks.some((c) => dst.objects.has(c.id))).toBe(false)
    expect(dst.objects.has(v1.assets.get('docs/readme.md')!.chunks[0].id)).toBe(true)
  })

  it('contentOfHistory: false wants only the tips\' content; history: false skips parents', async () => {
    const src = new MemoryStore()
    const v1 = await buildVersion(src, [{ path: 'old.bin', bytes: pseudoRandomBytes('old', 100 * KiB) }])
    const v2 = await buildVersion(src, [{ path: 'new.bin', bytes: pseudoRandomBytes('new', 100 * KiB) }], { parents: [v1.version] })
    const dst = new MemoryStore()
    await fetchAll(src, dst, [v2.version], { contentOfHistory: false })
    expect(dst.objects.has(v1.assets.get('old.bin')!.file)).toBe(true)
    expect(dst.objects.has(v1.assets.get('old.bin')!.chunks[0].id)).toBe(false)
    expect(dst.objects.has(v2.assets.get('new.bin')!.chunks[0].id)).toBe(true)
    const dst2 = new MemoryStore()
    await fetchAll(src, dst2, [v2.version], { history: false })
    expect(dst2.objects.has(v1.version)).toBe(false)
  })

  it('a root in uncountedRoots (a git repository state) leaves its older files out without counting them; wholeRoots wants its content whatever the policy', async () => {
    const src = new MemoryStore()
    const s1 = await buildVersion(src, [{ path: 'refs', bytes: Buffer.from('one\n') }])
    const s2 = await buildVersion(src, [{ path: 'refs', bytes: Buffer.from('two\n') }, { path: 'packs/p.pack', bytes: pseudoRandomBytes('pack', 50 * KiB) }], { parents: [s1.version] })
    const dst = new MemoryStore()
    await fetchAll(src, dst, [s2.version], { contentOfHistory: false })
    const counted = await computeWantSet({ store: dst, roots: [s2.version], contentOfHistory: false })
    expect(counted.historyLeftOut).toEqual({ files: 1, bytes: 4 })
    const uncounted = await computeWantSet({ store: dst, roots: [s2.version], contentOfHistory: false, uncountedRoots: new Set([s2.version]) })
    expect(uncounted.historyLeftOut).toEqual({ files: 0, bytes: 0 })
    // a policy that wants none of it: the whole root's tip content is wanted all the same, its history's not
    const none = (): boolean => false
    const fresh = new MemoryStore()
    await fetchAll(src, fresh, [s2.version], { wantContent: none })
    expect((await computeWantSet({ store: fresh, roots: [s2.version], wantContent: none })).content).toEqual([])
    const whole = await computeWantSet({ store: fresh, roots: [s2.version], wantContent: none, contentOfHistory: false, wholeRoots: new Set([s2.version]) })
    expect([...new Set(whole.content.map((w) => w.path))].sort()).toEqual(['packs/p.pack', 'refs'])
  })

  it('contentOfHistory: false counts the older content it leaves out, records history trees whole once their wanted content is here', async () => {
    const src = new MemoryStore()
    const v1 = await buildVersion(src, [{ path: 'art/old.bin', bytes: pseudoRandomBytes('old', 100 * KiB) }, { path: 'docs/a.md', bytes: Buffer.from('a') }])
    const v2 = await buildVersion(src, [{ path: 'art/old.bin', bytes: pseudoRandomBytes('new', 100 * KiB) }, { path: 'docs/a.md', bytes: Buffer.from('a') }], { parents: [v1.version] })
    const dst = new MemoryStore()
    const onlyArt = (path: string): boolean => path.startsWith('art/')
    await fetchAll(src, dst, [v2.version], { contentOfHistory: false, wantContent: onlyArt, policyKey: 'art' })
    const left = await computeWantSet({ store: dst, roots: [v2.version], contentOfHistory: false, wantContent: onlyArt, policyKey: 'art' })
    expect(left.content).toEqual([])
    expect(left.historyLeftOut).toEqual({ files: 1, bytes: 100 * KiB })
    expect(left.newlyWhole).not.toContain(v1.tree)
    // the older version's content fetched (gas restore --version): its tree is whole now, and nothing is left out
    await copy(src, dst, v1.assets.get('art/old.bin')!.chunks.map((c) => c.id))
    const whole = await computeWantSet({ store: dst, roots: [v2.version], contentOfHistory: false, wantContent: onlyArt, policyKey: 'art' })
    expect(whole.historyLeftOut).toEqual({ files: 0, bytes: 0 })
    expect(whole.content).toEqual([])
    // each version's art/ whole (its content here), docs/ and the roots whole for this policy only (docs/ is not wanted): keyed by the policy
    expect(whole.newlyWhole).toHaveLength(5)
    expect(whole.newlyWhole).not.toContain(v1.tree)
    expect(whole.newlyWhole).not.toContain(v2.tree)
  })

  it('walks tags, bare trees and assets; other object types are leaves', async () => {
    const src = new MemoryStore()
    const v1 = await buildVersion(src, [{ path: 'docs/readme.md', bytes: Buffer.from('hello') }, { path: 'art/a.png', bytes: Buffer.from('png') }])
    const tag = await src.put('tag', encodeTag({ object: v1.version, objectType: 'version', name: 'v1', tagger: { name: 't', publicKey: '0'.repeat(64) }, time: { seconds: 1, offsetMinutes: 0, timeZone: 'UTC' }, message: 'm', signature: null }))
    const build = await src.put('build', Buffer.from('{"build":1}'))
    const dst = new MemoryStore()
    await fetchAll(src, dst, [tag, build, v1.tree, v1.assets.get('docs/readme.md')!.asset])
    for (const id of src.objects.keys()) expect(dst.objects.has(id)).toBe(true)
  })

  it('contentPriority: small first, always below metadata', () => {
    expect(contentPriority(0)).toBeGreaterThan(contentPriority(1 << 20))
    expect(contentPriority(1 << 20)).toBeGreaterThan(contentPriority(1 << 30))
    expect(contentPriority(2 ** 60)).toBe(1)
    expect(contentPriority(1)).toBeLessThanOrEqual(PRIORITY_CONTENT_MAX)
    expect(PRIORITY_CONTENT_MAX).toBeLessThan(PRIORITY_PREVIEW)
  })
})

describe('computeWantSet and whole trees', () => {
  /** counts the objects a walk reads */
  function counting (store: MemoryStore): { reads: () => number } {
    let reads = 0
    const get = store.get.bind(store)
    store.get = async (id) => { reads++; return await get(id) }
    return { reads: () => reads }
  }

  it('a tree found whole (content included) is recorded and never walked again', async () => {
    const { src, v2 } = await twoVersions()
    const dst = new MemoryStore()
    await fetchAll(src, dst, [v2.version])
    expect(dst.completeTrees.has(v2.tree)).toBe(false) // the walk writes nothing
    const walk = await computeWantSet({ store: dst, roots: [v2.version] }) // what syncRepo does after the content arrived
    expect(walk.newlyWhole).toContain(v2.tree)
    expect(dst.completeTrees.has(v2.tree)).toBe(false)
    await dst.completeTrees.add(walk.newlyWhole) // the caller records them
    expect(dst.completeTrees.has(v2.tree)).toBe(true)
    const { reads } = counting(dst)
    const again = await computeWantSet({ store: dst, roots: [v2.version] })
    expect(again.complete).toBe(true)
    expect(again.content).toEqual([])
    // the root and the two versions only (the root twice): their trees are whole, nothing below them is read
    expect(reads()).toBe(3)
  })

  it('a tree with content missing or left out by selective sync is not whole, and its content is still wanted later', async () => {
    const { src, v1 } = await twoVersions()
    const dst = new MemoryStore()
    const noArt = (path: string): boolean => !path.startsWith('art/')
    await fetchAll(src, dst, [v1.version], { wantContent: noArt })
    expect(dst.completeTrees.has(v1.tree)).toBe(false)
    const hero = v1.assets.get('art/hero.png')!
    const later = await computeWantSet({ store: dst, roots: [v1.version] })
    expect(later.content.map((w) => w.id)).toEqual(hero.chunks.map((c) => c.id))
    await copy(src, dst, later.content.map((w) => w.id).slice(1)) // one chunk still missing
    expect((await computeWantSet({ store: dst, roots: [v1.version] })).content.map((w) => w.id)).toEqual([hero.chunks[0].id])
    expect(dst.completeTrees.has(v1.tree)).toBe(false)
    await copy(src, dst, [hero.chunks[0].id])
    const whole = await computeWantSet({ store: dst, roots: [v1.version] })
    expect(whole.complete).toBe(true)
    expect(whole.newlyWhole).toContain(v1.tree)
  })
})
