import { cpSync, readFileSync, writeFileSync, rmSync, existsSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import * as gas from '../../src/index.js'
import { mergeVersion } from '../../src/repo/merge.js'
import { mergeBase } from '../../src/repo/merge-base.js'
import { listConflicts, resolveConflict } from '../../src/repo/resolve.js'
import { readVersion } from '../../src/repo/tree-io.js'
import { gasInProcess } from '../helpers/cli.js'
import { useTmp } from '../helpers/tmp.js'

const tmp = useTmp()
const codeOf = async (p: Promise<unknown>): Promise<string> => await p.then(() => 'no error', (err: gas.GasError) => err.code)

/** every workspace a test opened, closed after it (their pack handles otherwise fall to the garbage collector) */
const opened: gas.Workspace[] = []
afterEach(async () => { for (const ws of opened.splice(0)) await ws.close().catch(() => {}) })

/** Two members who started from the same version; their objects are shared as a sync would. */
async function twoMembers (): Promise<{ ana: gas.Workspace, bo: gas.Workspace, base: string }> {
  const ana = await gas.init({ dir: tmp(), name: 'ana' })
  for (const f of ['a.txt', 'b.txt', 'c.txt', 'd.txt']) writeFileSync(join(ana.root, f), `${f} base`)
  await gas.add(ana, { paths: [ana.root] })
  const base = await gas.commit(ana, { message: 'base' })
  await ana.close()
  const boDir = tmp()
  cpSync(ana.root, boDir, { recursive: true })
  const bo = await gas.open({ dir: boDir })
  const reopened = await gas.open({ dir: ana.root })
  opened.push(reopened, bo)
  return { ana: reopened, bo, base }
}

async function edit (ws: gas.Workspace, files: Record<string, string | null>, message: string): Promise<string> {
  for (const [f, text] of Object.entries(files)) {
    if (text === null) { rmSync(join(ws.root, f)); await gas.remove(ws, { paths: [join(ws.root, f)] }) } else { writeFileSync(join(ws.root, f), text); await gas.add(ws, { paths: [join(ws.root, f)] }) }
  }
  return await gas.commit(ws, { message })
}

/** What a sync does first: bring their objects here. */
async function shareObjects (from: gas.Workspace, to: gas.Workspace): Promise<void> {
  await from.store.close(); await to.store.close()
  cpSync(join(from.gasDir, 'objects'), join(to.gasDir, 'objects'), { recursive: true, force: false, errorOnExist: false })
}

describe('merging diverged versions', () => {
  it('takes each side\'s changes, commits a merge with both parents when nothing collides', async () => {
    const { ana, bo, base } = await twoMembers()
    const anaV = await edit(ana, { 'a.txt': 'a by ana', 'd.txt': null }, 'ana edits a, drops d')
    const boV = await edit(bo, { 'b.txt': 'b by bo', 'e.txt': 'new by bo' }, 'bo edits b, adds e')
    await shareObjects(bo, ana)
    expect(await mergeBase(ana.store, anaV, boV)).toBe(base)
    const result = await mergeVersion(ana, { theirs: boV, from: "bo's main" })
    expect(result.conflicts).toEqual([])
    expect((await readVersion(ana.store, result.version!)).parents).toEqual([anaV, boV])
    expect(readFileSync(join(ana.root, 'a.txt'), 'utf8')).toBe('a by ana')
    expect(readFileSync(join(ana.root, 'b.txt'), 'utf8')).toBe('b by bo')
    expect(readFileSync(join(ana.root, 'e.txt'), 'utf8')).toBe('new by bo')
    expect(existsSync(join(ana.root, 'd.txt'))).toBe(false)
    expect((await gas.find(ana)).map((a) => a.path)).toEqual(['a.txt', 'b.txt', 'c.txt', 'e.txt'])
    expect((await gas.fsck(ana)).ok).toBe(true)
  })

  it('a path both changed waits for gas resolve; nothing is lost, then commit records the merge', async () => {
    const { ana, bo } = await twoMembers()
    const anaV = await edit(ana, { 'a.txt': 'a by ana', 'c.txt': 'c by ana' }, 'ana')
    const boV = await edit(bo, { 'a.txt': 'a by bo', 'c.txt': 'c by bo', 'b.txt': 'b by bo' }, 'bo')
    await shareObjects(bo, ana)
    const result = await mergeVersion(ana, { theirs: boV, from: "bo's main" })
    expect(result.version).toBeNull()
    expect(result.conflicts.map((c) => c.path)).toEqual(['a.txt', 'c.txt'])
    expect(readFileSync(join(ana.root, 'a.txt'), 'utf8')).toBe('a by ana') // ours kept until resolved
    expect(readFileSync(join(ana.root, 'b.txt'), 'utf8')).toBe('b by bo') // the clean part is merged
    expect(await codeOf(gas.commit(ana, { message: 'too early' }))).toBe('E_CONFLICT')
    expect(await codeOf(mergeVersion(ana, { theirs: boV, from: 'again' }))).toBe('E_CONFLICT')
    const cli = await gasInProcess(ana.root, ['conflicts', '--json'])
    expect(JSON.parse(cli.stdout)).toMatchObject({ from: "bo's main", ours: anaV, theirs: boV })
    expect((await gasInProcess(ana.root, ['conflicts'])).stdout).toContain('a.txt')
    expect((await gasInProcess(ana.root, ['resolve', 'a.txt', '--take', 'theirs'])).stdout).toContain('1 conflict(s) left')
    expect(await codeOf(resolveConflict(ana, { path: 'a.txt', take: 'ours' }))).toBe('E_NOT_FOUND')
    expect(await resolveConflict(ana, { path: 'c.txt', take: anaV })).toMatchObject({ left: 0 })
    expect(readFileSync(join(ana.root, 'a.txt'), 'utf8')).toBe('a by bo')
    expect(readFileSync(join(ana.root, 'c.txt'), 'utf8')).toBe('c by ana')
    const merged = await gas.commit(ana, { message: 'merge bo' })
    expect((await readVersion(ana.store, merged)).parents).toEqual([anaV, boV])
    expect((await listConflicts(ana)).conflicts).toEqual([])
    // both sides' versions stay reachable: every old content can be restored
    await gas.restore(ana, { path: 'a.txt', rev: anaV, out: join(ana.root, 'old-a.txt') })
    expect(readFileSync(join(ana.root, 'old-a.txt'), 'utf8')).toBe('a by ana')
    expect((await gasInProcess(ana.root, ['conflicts'])).stdout.trim()).toBe('no conflicts')
  })

  it('a hand merge is never lost: --take ours keeps the file as saved (or staged) after the merge stopped; theirs does not overwrite it without --force', async () => {
    const { ana, bo } = await twoMembers()
    const anaV = await edit(ana, { 'a.txt': 'a by ana', 'c.txt': 'c by ana' }, 'ana')
    const boV = await edit(bo, { 'a.txt': 'a by bo', 'c.txt': 'c by bo' }, 'bo')
    await shareObjects(bo, ana)
    await mergeVersion(ana, { theirs: boV, from: 'bo' })
    // ana merges both by hand in her tool and saves over the files: a.txt as is, c.txt staged too
    writeFileSync(join(ana.root, 'a.txt'), 'a by ana and bo')
    writeFileSync(join(ana.root, 'c.txt'), 'c by ana and bo')
    await gas.add(ana, { paths: [join(ana.root, 'c.txt')] })
    const refused = await gasInProcess(ana.root, ['resolve', 'a.txt', '--take', 'theirs'])
    expect(refused.status).toBe(1)
    expect(refused.stderr).toMatch(/E_LOCAL_CHANGES: a.txt has changes that are not staged .*--take ours` keeps the file as it is in the workspace, or pass --force/)
    expect(readFileSync(join(ana.root, 'a.txt'), 'utf8')).toBe('a by ana and bo')
    const kept = await gasInProcess(ana.root, ['resolve', 'a.txt', '--take', 'ours'])
    expect(kept.stdout).toContain('a.txt: took ours (the file as it is in the workspace); 1 conflict(s) left')
    expect(await resolveConflict(ana, { path: 'c.txt', take: 'ours' })).toMatchObject({ left: 0, kept: 'workspace' })
    expect(readFileSync(join(ana.root, 'c.txt'), 'utf8')).toBe('c by ana and bo')
    const merged = await gas.commit(ana, { message: 'hand merge' })
    expect((await readVersion(ana.store, merged)).parents).toEqual([anaV, boV])
    for (const [f, text] of [['a.txt', 'a by ana and bo'], ['c.txt', 'c by ana and bo']]) {
      await gas.restore(ana, { path: f, rev: merged, out: join(ana.root, `merged-${f}`) })
      expect(readFileSync(join(ana.root, `merged-${f}`), 'utf8')).toBe(text)
    }
  })

  it('--force takes theirs over a hand merge, saved or staged', async () => {
    const { ana, bo } = await twoMembers()
    await edit(ana, { 'a.txt': 'a by ana' }, 'ana')
    const boV = await edit(bo, { 'a.txt': 'a by bo' }, 'bo')
    await shareObjects(bo, ana)
    await mergeVersion(ana, { theirs: boV, from: 'bo' })
    writeFileSync(join(ana.root, 'a.txt'), 'a half merged')
    expect(await codeOf(resolveConflict(ana, { path: 'a.txt', take: 'theirs' }))).toBe('E_LOCAL_CHANGES')
    // staged, the hand merge is still in no version: theirs drops it only with force
    await gas.add(ana, { paths: [join(ana.root, 'a.txt')] })
    await expect(resolveConflict(ana, { path: 'a.txt', take: 'theirs' })).rejects.toThrow(/a.txt has a staged version no commit holds .*--take ours` keeps it, or pass --force/)
    expect(readFileSync(join(ana.root, 'a.txt'), 'utf8')).toBe('a half merged')
    expect(await resolveConflict(ana, { path: 'a.txt', take: 'theirs', force: true })).toMatchObject({ left: 0, asset: expect.any(String) })
    expect(readFileSync(join(ana.root, 'a.txt'), 'utf8')).toBe('a by bo')
  })

  it('a deleted-vs-changed path is a conflict, and resolve can take the deletion', async () => {
    const { ana, bo } = await twoMembers()
    await edit(ana, { 'a.txt': null }, 'ana deletes a')
    const boV = await edit(bo, { 'a.txt': 'a by bo' }, 'bo edits a')
    await shareObjects(bo, ana)
    const result = await mergeVersion(ana, { theirs: boV, from: 'bo' })
    expect(result.conflicts).toEqual([expect.objectContaining({ path: 'a.txt', ours: null })])
    await resolveConflict(ana, { path: 'a.txt', take: 'ours' })
    await gas.commit(ana, { message: 'keep deletion' })
    expect((await gas.find(ana)).map((a) => a.path)).not.toContain('a.txt')
  })

  it('refuses to merge over uncommitted work', async () => {
    const { ana, bo } = await twoMembers()
    await edit(ana, { 'a.txt': 'a by ana' }, 'ana')
    const boV = await edit(bo, { 'b.txt': 'b by bo' }, 'bo')
    await shareObjects(bo, ana)
    writeFileSync(join(ana.root, 'c.txt'), 'staged, not committed')
    await gas.add(ana, { paths: [join(ana.root, 'c.txt')] })
    expect(await codeOf(mergeVersion(ana, { theirs: boV, from: 'bo' }))).toBe('E_CONFLICT')
    expect(readFileSync(join(ana.root, 'c.txt'), 'utf8')).toBe('staged, not committed')
  })
})
