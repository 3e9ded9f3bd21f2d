import { describe, expect, it } from 'vitest'
import { MemoryStore } from '../../src/objects/memory-store.js'
import { SyncPolicy } from '../../src/sync/policy.js'
import { parseRules } from '../../src/sync/rules.js'
import { computeWantSet, policyTreeKey, type WantSetOptions } from '../../src/sync/want-set.js'
import { buildVersion, KiB, pseudoRandomBytes, writeAsset, writeTree, writeVersion } from '../net/helpers.js'

async function copyAll (src: MemoryStore, dst: MemoryStore, filter: (type: string) => boolean): Promise<void> {
  for (const [, o] of src.objects) if (filter(o.type)) await dst.put(o.type, o.body)
}

/** Fetches what the want-set asks for, round after round, and records the whole trees, as syncRepo does: those whole once the listed content arrived, without walking again. */
async function sync (src: MemoryStore, dst: MemoryStore, opts: Omit<WantSetOptions, 'store'>): Promise<string[]> {
  for (;;) {
    const set = await computeWantSet({ store: dst, ...opts })
    for (const w of [...set.metadata, ...(set.complete ? set.content : [])]) {
      const o = await src.get(w.id)
      await dst.put(o.type, o.body)
    }
    if (set.complete) {
      await dst.completeTrees.add([...set.newlyWhole, ...set.wholeOnArrival])
      return set.content.map((w) => w.path ?? '')
    }
  }
}

describe('computeWantSet with a policy', () => {
  it('a Unity .meta is fetched exactly when the asset it describes is', async () => {
    const src = new MemoryStore()
    const v = await buildVersion(src, [
      { path: 'Assets/rock.png', bytes: pseudoRandomBytes('rock', 40 * KiB), kind: 'texture' },
      { path: 'Assets/rock.png.meta', bytes: Buffer.from('guid: 1'), kind: 'engine' },
      { path: 'Assets/Player.cs', bytes: Buffer.from('class Player {}'), kind: 'code' },
      { path: 'Assets/Player.cs.meta', bytes: Buffer.from('guid: 2'), kind: 'engine' },
      { path: 'Assets/orphan.meta', bytes: Buffer.from('guid: 3'), kind: 'engine' },
      { path: 'Assets/Art/moss.png', bytes: pseudoRandomBytes('moss', 20 * KiB), kind: 'texture' },
      { path: 'Assets/Art.meta', bytes: Buffer.from('folderAsset: yes'), kind: 'engine' }
    ])
    const programmer = new SyncPolicy({ rules: [], roles: ['programmer'], engine: 'unity' })
    const dst = new MemoryStore()
    const fetched = await sync(src, dst, { roots: [v.version], wantContent: programmer.wants, policyKey: programmer.fingerprint })
    // a folder's .meta goes to everyone (Unity needs it wherever the folder is); an orphan .meta is judged by itself
    expect(fetched.sort()).toEqual(['Assets/Art.meta', 'Assets/Player.cs', 'Assets/Player.cs.meta'])
    const artist = new SyncPolicy({ rules: [], roles: ['artist'], engine: 'unity' })
    const dst2 = new MemoryStore()
    expect((await sync(src, dst2, { roots: [v.version], wantContent: artist.wants, policyKey: artist.fingerprint })).sort()).toEqual(['Assets/Art.meta', 'Assets/Art/moss.png', 'Assets/rock.png', 'Assets/rock.png.meta'])
  })

  it('with a policy key, a tree whose unwanted content is absent is whole for that policy at that path only', async () => {
    const src = new MemoryStore()
    const art = await writeAsset(src, { path: 'a/art.png', bytes: pseudoRandomBytes('art', 30 * KiB), kind: 'texture' })
    const code = await writeAsset(src, { path: 'a/main.cs', bytes: Buffer.from('class A {}'), kind: 'code' })
    const inA = await writeTree(src, [{ ...art, path: 'art.png' }, { ...code, path: 'main.cs' }])
    // the same subtree under `a/` and under `ui/`; a rule includes ui/ for the programmer
    const tree = await writeTree(src, [art, code, { ...art, path: 'ui/art.png' }, { ...code, path: 'ui/main.cs' }])
    const version = await writeVersion(src, { tree })
    const policy = new SyncPolicy({ rules: parseRules('[role programmer]\ninclude ui/'), roles: ['programmer'] })
    const dst = new MemoryStore()
    const fetched = await sync(src, dst, { roots: [version], wantContent: policy.wants, policyKey: policy.fingerprint })
    expect(fetched.sort()).toEqual(['a/main.cs', 'ui/art.png'])
    // ui/ holds everything: whole outright; a/ is whole only for this policy at a/
    expect(dst.completeTrees.has(policyTreeKey(policy.fingerprint, inA, 'a'))).toBe(true)
    expect(dst.completeTrees.has(inA)).toBe(true) // ui/ is the same tree with all its content
    const again = await computeWantSet({ store: dst, roots: [version], wantContent: policy.wants, policyKey: policy.fingerprint })
    expect(again.content).toEqual([])
    // another policy does not reuse the first one's keys: the lead still wants a/art.png… which is here (shared chunks)
    const lead = new SyncPolicy({ rules: [], roles: ['lead'] })
    expect((await computeWantSet({ store: dst, roots: [version], wantContent: lead.wants, policyKey: lead.fingerprint })).content).toEqual([])
  })

  it('a tree whole only for one policy is walked again under another, which fetches the newly wanted content', async () => {
    const src = new MemoryStore()
    const v = await buildVersion(src, [
      { path: 'art/hero.png', bytes: pseudoRandomBytes('hero', 50 * KiB), kind: 'texture' },
      { path: 'src/main.cs', bytes: Buffer.from('class Main {}'), kind: 'code' }
    ])
    const programmer = new SyncPolicy({ rules: [], roles: ['programmer'] })
    const dst = new MemoryStore()
    await sync(src, dst, { roots: [v.version], wantContent: programmer.wants, policyKey: programmer.fingerprint })
    expect((await computeWantSet({ store: dst, roots: [v.version], wantContent: programmer.wants, policyKey: programmer.fingerprint })).content).toEqual([])
    expect(dst.completeTrees.has(v.tree)).toBe(false)
    const withArt = new SyncPolicy({ rules: parseRules('include art/'), roles: ['programmer'] })
    const next = await computeWantSet({ store: dst, roots: [v.version], wantContent: withArt.wants, policyKey: withArt.fingerprint })
    expect(next.content.map((w) => w.path)).toEqual(v.assets.get('art/hero.png')!.chunks.map(() => 'art/hero.png'))
    // without a key the walk never takes a partial tree for whole
    const noKey = await computeWantSet({ store: dst, roots: [v.version], wantContent: programmer.wants })
    expect(noKey.newlyWhole).not.toContain(v.tree)
  })

  it('metadata and previews always sync, whatever the policy', async () => {
    const src = new MemoryStore()
    const v = await buildVersion(src, [{ path: 'art/hero.png', bytes: pseudoRandomBytes('hero', 50 * KiB), kind: 'texture', previews: [Buffer.from('thumbnail')] }])
    const qa = new SyncPolicy({ rules: [], roles: ['qa'] })
    const dst = new MemoryStore()
    await sync(src, dst, { roots: [v.version], wantContent: qa.wants, policyKey: qa.fingerprint })
    const hero = v.assets.get('art/hero.png')!
    for (const id of [v.version, v.tree, hero.asset, hero.file, ...hero.previews]) expect(dst.objects.has(id)).toBe(true)
    for (const chunk of hero.chunks) expect(dst.objects.has(chunk.id)).toBe(false)
    await copyAll(src, dst, () => true)
  })
})
