import { describe, expect, it } from 'vitest'
import { MemoryStore } from '../../src/objects/memory-store.js'
import { decodeTree } from '../../src/objects/tree.js'
import { wholeAfterFetch } from '../../src/peer/sync/whole-after-fetch.js'
import { computeWantSet, policyTreeKey } from '../../src/sync/want-set.js'
import { buildVersion, KiB, pseudoRandomBytes, type WrittenVersion } from '../net/helpers.js'

/** A store holding every object of `v` but its chunks (what a sync holds once its metadata rounds are done). */
async function metadataOnly (src: MemoryStore, v: WrittenVersion): Promise<MemoryStore> {
  const chunks = new Set([...v.assets.values()].flatMap((a) => a.chunks.map((c) => c.id)))
  const dst = new MemoryStore()
  for (const [id, o] of src.objects) if (!chunks.has(id)) await dst.put(o.type, o.body)
  return dst
}

async function twoFolders (): Promise<{ src: MemoryStore, v: WrittenVersion & { trees: Map<string, string> } }> {
  const src = new MemoryStore()
  const v = await buildVersion(src, [
    { path: 'art/hero.png', bytes: pseudoRandomBytes('hero', 300 * KiB) },
    { path: 'docs/readme.md', bytes: Buffer.from('hello') }
  ])
  const trees = new Map(decodeTree((await src.get(v.tree)).body).entries.map((e) => [e.name, e.id]))
  return { src, v: { ...v, trees } }
}

describe('computeWantSet: trees whole once the listed content arrives', () => {
  it('lists the trees whose only missing objects are the listed content; those already whole stay in newlyWhole', async () => {
    const { src, v } = await twoFolders()
    const dst = await metadataOnly(src, v)
    await dst.put('chunk', (await src.get(v.assets.get('docs/readme.md')!.chunks[0].id)).body)
    const set = await computeWantSet({ store: dst, roots: [v.version] })
    expect(set.complete).toBe(true)
    expect(set.content.map((w) => w.id)).toEqual(v.assets.get('art/hero.png')!.chunks.map((c) => c.id))
    expect(set.newlyWhole).toContain(v.trees.get('docs'))
    expect(set.wholeOnArrival).toEqual(expect.arrayContaining([v.trees.get('art'), v.tree]))
    expect(set.newlyWhole).not.toContain(v.tree)
    // once that content is here, a walk finds exactly those trees whole: what a second walk used to learn
    for (const w of set.content) await dst.put('chunk', (await src.get(w.id)).body)
    const after = await computeWantSet({ store: dst, roots: [v.version] })
    expect(new Set(after.newlyWhole)).toEqual(new Set([...set.newlyWhole, ...set.wholeOnArrival]))
    expect(after.wholeOnArrival).toEqual([])
  })

  it('a chunk the peers refused, or missing metadata, keeps every tree above it out', async () => {
    const { src, v } = await twoFolders()
    const dst = await metadataOnly(src, v)
    const refused = v.assets.get('art/hero.png')!.chunks[1].id
    const set = await computeWantSet({ store: dst, roots: [v.version], unavailable: new Set([refused]) })
    expect(set.content.map((w) => w.id)).not.toContain(refused)
    expect(set.wholeOnArrival).toEqual([v.trees.get('docs')])
    // a chunk met again in another file is judged the same: refused stays refused
    const noManifest = new MemoryStore()
    for (const [id, o] of dst.objects) if (id !== v.assets.get('docs/readme.md')!.file) await noManifest.put(o.type, o.body)
    const partial = await computeWantSet({ store: noManifest, roots: [v.version] })
    expect(partial.complete).toBe(false)
    expect(partial.wholeOnArrival).toEqual([v.trees.get('art')])
  })

  it('with a policy key, a tree whose unwanted content is left out is whole on arrival for that policy at that path only', async () => {
    const { src, v } = await twoFolders()
    const dst = await metadataOnly(src, v)
    const noArt = (path: string): boolean => !path.startsWith('art/')
    const set = await computeWantSet({ store: dst, roots: [v.version], wantContent: noArt, policyKey: 'p1' })
    expect(set.content.map((w) => w.path)).toEqual(['docs/readme.md'])
    expect(set.wholeOnArrival).toEqual(expect.arrayContaining([v.trees.get('docs'), policyTreeKey('p1', v.tree, '')]))
    expect(set.wholeOnArrival).not.toContain(v.tree)
    const noKey = await computeWantSet({ store: dst, roots: [v.version], wantContent: noArt })
    expect(noKey.wholeOnArrival).toEqual([v.trees.get('docs')])
  })
})

describe('wholeAfterFetch', () => {
  const set = { newlyWhole: ['now'], wholeOnArrival: ['later'] }
  it('records the trees whole on arrival only when every listed object arrived', () => {
    expect(wholeAfterFetch(set, [], { missing: [], denied: [] })).toEqual(['now', 'later'])
    expect(wholeAfterFetch(set, [], { missing: [], denied: [{ id: 'c', peers: ['p'] }] })).toEqual(['now'])
    expect(wholeAfterFetch(set, ['c'], { missing: ['c'], denied: [] })).toEqual([])
    expect(wholeAfterFetch(set, ['m'], { missing: [], denied: [] })).toEqual([])
  })
})
