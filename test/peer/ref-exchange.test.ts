import { afterEach, describe, expect, it } from 'vitest'
import { MemoryStore } from '../../src/objects/memory-store.js'
import { applyRemoteRefs, isAncestor, remoteRefName } from '../../src/peer/sync/ref-exchange.js'
import type { RefStore } from '../../src/refs/ref-store.js'
import { buildVersion, setRef, tempRefs, writeVersion, type TempRepo } from '../net/helpers.js'

const temps: TempRepo[] = []
afterEach(async () => { for (const t of temps.splice(0)) await t.cleanup() })

async function setup (): Promise<{ store: MemoryStore, refs: RefStore, base: string, ours: string, theirs: string, ff: string }> {
  const t = await tempRefs('refx')
  temps.push(t)
  const store = new MemoryStore()
  const v = await buildVersion(store, [{ path: 'a.txt', bytes: Buffer.from('a') }])
  const base = v.version
  const ff = await writeVersion(store, { tree: v.tree, parents: [base], message: 'theirs, on top' })
  const ours = await writeVersion(store, { tree: v.tree, parents: [base], message: 'ours' })
  const theirs = await writeVersion(store, { tree: v.tree, parents: [ff], message: 'theirs again' })
  return { store, refs: t.refs, base, ours, theirs, ff }
}

describe('applyRemoteRefs', () => {
  it('adopts new refs and fast-forwards, records the remote view, keeps our head when we are ahead', async () => {
    const { store, refs, base, ff, theirs, ours } = await setup()
    await setRef(refs, 'refs/heads/main', base)
    await setRef(refs, 'refs/heads/dev', ours)
    const result = await applyRemoteRefs({
      refs,
      store,
      peerName: 'bob',
      remoteRefs: [
        { name: 'refs/heads/main', id: theirs },
        { name: 'refs/heads/new', id: ff },
        { name: 'refs/heads/dev', id: base },
        { name: 'refs/tags/v1', id: base }
      ]
    })
    expect(result.conflicts).toEqual([])
    expect(result.outcomes.map((o) => o.action)).toEqual(['fast-forward', 'created', 'ahead', 'created'])
    expect(await refs.read('refs/heads/main')).toBe(theirs)
    expect(await refs.read('refs/heads/new')).toBe(ff)
    expect(await refs.read('refs/heads/dev')).toBe(ours)
    expect(await refs.read('refs/remotes/bob/heads/dev')).toBe(base)
    expect(await refs.read('refs/remotes/bob/tags/v1')).toBe(base)
    const again = await applyRemoteRefs({ refs, store, peerName: 'bob', remoteRefs: [{ name: 'refs/heads/main', id: theirs }] })
    expect(again.outcomes[0].action).toBe('up-to-date')
  })

  it('diverged heads: ours stays, theirs is kept under refs/remotes and reported as a conflict', async () => {
    const { store, refs, ours, theirs } = await setup()
    await setRef(refs, 'refs/heads/main', ours)
    const result = await applyRemoteRefs({ refs, store, peerName: 'bob', remoteRefs: [{ name: 'refs/heads/main', id: theirs }] })
    expect(result.conflicts).toEqual([{ ref: 'refs/heads/main', peer: 'bob', local: ours, remote: theirs, remoteRef: 'refs/remotes/bob/heads/main', why: 'diverged' }])
    expect(await refs.read('refs/heads/main')).toBe(ours)
    expect(await refs.read('refs/remotes/bob/heads/main')).toBe(theirs)
  })

  it('a tag or build that names something else is a conflict, never a move', async () => {
    const { store, refs, base, ff } = await setup()
    await setRef(refs, 'refs/tags/v1', base)
    await setRef(refs, 'refs/builds/win64/1.0', base)
    const result = await applyRemoteRefs({ refs, store, peerName: 'bob', remoteRefs: [{ name: 'refs/tags/v1', id: ff }, { name: 'refs/builds/win64/1.0', id: ff }] })
    expect(result.conflicts.map((c) => c.why)).toEqual(['tag-moved', 'tag-moved'])
    expect(await refs.read('refs/tags/v1')).toBe(base)
    expect(await refs.read('refs/remotes/bob/builds/win64/1.0')).toBe(ff)
  })

  it('a head whose objects are not versions (or not here) is a conflict', async () => {
    const { store, refs, base } = await setup()
    await setRef(refs, 'refs/heads/main', base)
    const unknown = 'f'.repeat(64)
    const result = await applyRemoteRefs({ refs, store, peerName: 'bob', remoteRefs: [{ name: 'refs/heads/main', id: unknown }] })
    expect(result.conflicts[0].why).toBe('not-a-version')
    expect(await refs.read('refs/heads/main')).toBe(base)
  })

  it('a local commit racing the fast-forward wins; the remote head is reported', async () => {
    const { store, refs, base, ff, ours } = await setup()
    await setRef(refs, 'refs/heads/main', base)
    const realUpdate = refs.update.bind(refs)
    let raced = false
    refs.update = async (u) => {
      if (!raced && u.name === 'refs/heads/main') {
        raced = true
        await realUpdate({ name: 'refs/heads/main', newId: ours, message: 'local commit', who: 'me', now: 0 })
      }
      await realUpdate(u)
    }
    const result = await applyRemoteRefs({ refs, store, peerName: 'bob', remoteRefs: [{ name: 'refs/heads/main', id: ff }] })
    expect(result.conflicts).toEqual([expect.objectContaining({ why: 'concurrent-update', local: ours, remote: ff })])
    expect(await refs.read('refs/heads/main')).toBe(ours)
  })

  it('ignores refs outside heads/tags/builds and invalid names; honours accept; checks the peer name', async () => {
    const { store, refs, base } = await setup()
    const result = await applyRemoteRefs({
      refs,
      store,
      peerName: 'bob',
      accept: (ref) => ref.name !== 'refs/heads/skip',
      remoteRefs: [
        { name: 'refs/locks/a.png', id: base },
        { name: 'refs/remotes/eve/heads/main', id: base },
        { name: 'refs/heads/../../etc', id: base },
        { name: 'refs/heads/skip', id: base }
      ]
    })
    expect(result.ignored).toEqual(['refs/locks/a.png', 'refs/remotes/eve/heads/main', 'refs/heads/../../etc'])
    expect(result.outcomes).toEqual([])
    expect(await refs.read('refs/heads/skip')).toBeUndefined()
    await expect(applyRemoteRefs({ refs, store, peerName: '../x', remoteRefs: [] })).rejects.toMatchObject({ code: 'E_BAD_ARGUMENT' })
    await expect(applyRemoteRefs({ refs, store, peerName: 'a/b', remoteRefs: [] })).rejects.toMatchObject({ code: 'E_BAD_ARGUMENT' })
    expect(remoteRefName('bob', 'refs/heads/main')).toBe('refs/remotes/bob/heads/main')
  })

  it('isAncestor walks parents and stops at what is missing', async () => {
    const { store, base, ff, theirs, ours } = await setup()
    expect(await isAncestor(store, base, theirs)).toBe(true)
    expect(await isAncestor(store, ff, theirs)).toBe(true)
    expect(await isAncestor(store, ours, theirs)).toBe(false)
    expect(await isAncestor(store, base, base)).toBe(true)
    const v = await buildVersion(store, [{ path: 'b', bytes: Buffer.from('b') }])
    const orphan = await writeVersion(store, { tree: v.tree, parents: ['e'.repeat(64)] })
    expect(await isAncestor(store, base, orphan)).toBe(false)
    expect(await isAncestor(store, base, v.tree)).toBe(false)
  })
})
