import { mkdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import * as gas from '../../src/index.js'
import { writeMergeState } from '../../src/repo/merge-state.js'
import { readIndex, writeIndex } from '../../src/repo/staging-index.js'
import { RACY_MS, RACY_TICK_MS, stampOf } from '../../src/repo/stat-stamp.js'
import { workspaceStatus } from '../../src/repo/status.js'
import { gasInProcess } from '../helpers/cli.js'
import { useTmp } from '../helpers/tmp.js'

const tmp = useTmp()
const json = (r: { stdout: string }): any => JSON.parse(r.stdout)

/** Sets a file's times a minute back, so its stamp is not racy (as files are that were not edited this second). */
function age (path: string, seconds = 60): void {
  const t = new Date(Date.now() - seconds * 1000)
  utimesSync(path, t, t)
}

describe('gas status', () => {
  it('lists the locks in force, and whether each is ours', async () => {
    const dir = tmp()
    expect((await gasInProcess(dir, ['init', '--name', 'ana', '--team', 'orcs'])).status).toBe(0)
    const locked = await gasInProcess(dir, ['lock', 'art/hero.psd', '--ttl', '2h', '-m', 'rigging'])
    expect(locked.status, locked.stderr).toBe(0)
    const s = json(await gasInProcess(dir, ['status', '--json']))
    expect(s.locked).toEqual([{ path: 'art/hero.psd', holder: 'ana', mine: true, expires: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) }])
  })

  it('sorts every path into staged, modified, deleted, untracked, conflicted and not fetched', async () => {
    const dir = tmp()
    expect((await gasInProcess(dir, ['init', '--name', 'ana'])).status).toBe(0)
    mkdirSync(join(dir, 'art'))
    for (const name of ['keep.png', 'edit.png', 'gone.png', 'unstage.png', 'remote.wav']) writeFileSync(join(dir, 'art', name), `${name} v1`)
    expect((await gasInProcess(dir, ['add', 'art'])).status).toBe(0)
    expect((await gasInProcess(dir, ['commit', '-m', 'one'])).status).toBe(0)
    const clean = await gasInProcess(dir, ['status'])
    expect(clean.stdout).toContain('nothing to commit, workspace clean')

    writeFileSync(join(dir, 'art', 'edit.png'), 'edit.png v2 longer')
    rmSync(join(dir, 'art', 'gone.png'))
    writeFileSync(join(dir, 'art', 'new.png'), 'new')
    writeFileSync(join(dir, 'art', 'staged.png'), 'staged')
    writeFileSync(join(dir, 'art', 'unstage.png'), 'unstage.png v2')
    writeFileSync(join(dir, 'scratch.tmp'), 'litter') // built-in rule: never untracked
    mkdirSync(join(dir, 'Library'))
    writeFileSync(join(dir, 'Library', 'cache.bin'), 'unity cache')
    expect((await gasInProcess(dir, ['add', 'art/staged.png', 'art/unstage.png'])).status).toBe(0)
    const ws = await gas.open({ dir })
    // selective sync left remote.wav's content on the peers: tracked, no file here
    const index = await readIndex(ws.fs, ws.gasDir)
    index.entries['art/remote.wav'] = { ...index.entries['art/remote.wav'], mtimeMs: -1 }
    await writeIndex(ws.fs, ws.gasDir, index)
    rmSync(join(dir, 'art', 'remote.wav'))
    const head = (await ws.head())!
    await writeMergeState(ws, { ours: head, theirs: head, from: 'bo', conflicts: [{ path: 'art/keep.png', base: null, ours: null, theirs: null }] })
    await ws.close()

    const s = json(await gasInProcess(dir, ['status', '--json']))
    expect(s.staged).toEqual([{ path: 'art/staged.png', change: 'added' }, { path: 'art/unstage.png', change: 'modified' }])
    expect(s.modified).toEqual(['art/edit.png'])
    expect(s.deleted).toEqual(['art/gone.png'])
    expect(s.untracked).toEqual(['art/new.png'])
    expect(s.notFetched).toEqual(['art/remote.wav'])
    expect(s.conflicted).toEqual(['art/keep.png'])
    expect(s.locked).toEqual([])
    expect(s.head).toBe(head)
    const text = (await gasInProcess(dir, ['status'])).stdout
    expect(text).toContain('modified: art/edit.png')
    expect(text).toContain('not fetched here (selective sync; gas fetch PATH):\n  art/remote.wav')
    expect(text).not.toContain('nothing to commit')

    // a staged deletion (gas add of a removed file) is staged, not deleted
    expect((await gasInProcess(dir, ['add', 'art/gone.png'])).status).toBe(0)
    const after = json(await gasInProcess(dir, ['status', '--json']))
    expect(after.staged).toContainEqual({ path: 'art/gone.png', change: 'deleted' })
    expect(after.deleted).toEqual([])
  })

  it('judges 2 000 unchanged files by stat data alone, and hashes only a changed one', async () => {
    const dir = tmp()
    const ws = await gas.init({ dir, name: 'ana' })
    for (let d = 0; d < 20; d++) {
      mkdirSync(join(dir, `level${d}`))
      for (let f = 0; f < 100; f++) {
        const path = join(dir, `level${d}`, `tile${f}.dat`)
        writeFileSync(path, `tile ${d} ${f}`)
        age(path)
      }
    }
    await gas.add(ws, { paths: [dir] })
    await gas.commit(ws, { message: 'tiles' })
    const first = await workspaceStatus(ws)
    expect(first).toMatchObject({ staged: [], modified: [], deleted: [], untracked: [], hashed: 0 })
    // same size, new content: the stamp changed (mtime, ctime), so it is hashed and found modified
    const edited = join(dir, 'level3', 'tile7.dat')
    writeFileSync(edited, 'tile 3 X')
    const second = await workspaceStatus(ws)
    expect(second.modified).toEqual(['level3/tile7.dat'])
    expect(second.hashed).toBe(1)
    // touched, same content: hashed once, found clean, and its new stamp written back
    writeFileSync(edited, 'tile 3 7')
    age(edited)
    const third = await workspaceStatus(ws)
    expect(third).toMatchObject({ modified: [], hashed: 1 })
    const fourth = await workspaceStatus(ws)
    expect(fourth).toMatchObject({ modified: [], hashed: 0 })
    await ws.close()
  })

  it('hashes a file stamped in the same second it changed (racy), and one whose index entry has no stamp', async () => {
    const dir = tmp()
    const ws = await gas.init({ dir, name: 'ana' })
    writeFileSync(join(dir, 'fresh.png'), 'aaaa')
    writeFileSync(join(dir, 'old.png'), 'bbbb')
    age(join(dir, 'old.png'))
    await gas.add(ws, { paths: [dir] })
    const index = await readIndex(ws.fs, ws.gasDir)
    expect(index.entries['old.png'].stat?.racy).toBeUndefined()
    // fresh.png changes within the same tick, keeping size and times: only its racy stamp makes status look
    const before = statSync(join(dir, 'fresh.png'))
    writeFileSync(join(dir, 'fresh.png'), 'AAAA')
    utimesSync(join(dir, 'fresh.png'), before.atime, before.mtime)
    const entry = index.entries['fresh.png']
    index.entries['fresh.png'] = { ...entry, stat: { ...stampOf(statSync(join(dir, 'fresh.png'))), racy: true } }
    // an entry written by an older gas: mtimeMs and size only
    delete index.entries['old.png'].stat
    await writeIndex(ws.fs, ws.gasDir, index)
    const s = await workspaceStatus(ws)
    expect(s.modified).toEqual(['fresh.png'])
    // old.png has no stamp: git's rule, its mtime is a minute older than the index file, so stat data is trusted without hashing
    expect(s.hashed).toBe(1)
    await ws.close()
  })

  it('sees an index changed by another command (the lean cache is keyed by the index file) and reports peers\' heads', async () => {
    const dir = tmp()
    const ws = await gas.init({ dir, name: 'ana' })
    writeFileSync(join(dir, 'a.png'), 'a')
    await gas.add(ws, { paths: [dir] })
    const v1 = await gas.commit(ws, { message: 'one' })
    expect((await workspaceStatus(ws)).staged).toEqual([])
    expect(readFileSync(join(ws.gasDir, 'status-cache'), 'utf8')).toContain('a.png')
    writeFileSync(join(dir, 'b.png'), 'b')
    await gas.add(ws, { paths: [join(dir, 'b.png')] })
    expect((await workspaceStatus(ws)).staged).toEqual([{ path: 'b.png', change: 'added' }])
    const v2 = await gas.commit(ws, { message: 'two' })
    // what sync records of each peer's advertised head
    await ws.refs.update({ name: 'refs/remotes/bo/heads/main', newId: v1, expectedOld: null, message: 'sync', who: 'test', now: 0 })
    await ws.refs.update({ name: 'refs/remotes/cy/heads/main', newId: v2, expectedOld: null, message: 'sync', who: 'test', now: 0 })
    const s = await workspaceStatus(ws)
    expect(s.peers).toEqual([{ peer: 'bo', head: v1, ahead: 1, behind: 0 }, { peer: 'cy', head: v2, ahead: 0, behind: 0 }])
    await ws.close()
    const text = (await gasInProcess(dir, ['status'])).stdout
    expect(text).toContain('peer bo: 1 ahead, 0 behind')
    expect(text).toContain('peer cy: up to date')
  })

  it('marks a stamp racy when taken within a clock tick of the mtime, or within a second on a whole-second file system', () => {
    const fine = { mtimeMs: 1_700_000_000_123.456, ctimeMs: 1_700_000_000_123.456, ino: 7 } as unknown as Parameters<typeof stampOf>[0]
    expect(stampOf(fine, fine.mtimeMs + 5).racy).toBe(true)
    expect(stampOf(fine, fine.mtimeMs + RACY_TICK_MS + 1).racy).toBeUndefined()
    const coarse = { mtimeMs: 1_700_000_000_000, ctimeMs: 1_700_000_000_000, ino: 7 } as unknown as Parameters<typeof stampOf>[0]
    expect(stampOf(coarse, coarse.mtimeMs + RACY_MS - 1).racy).toBe(true)
    expect(stampOf(coarse, coarse.mtimeMs + RACY_MS).racy).toBeUndefined()
  })

  it('refuses outside a workspace', async () => {
    const r = await gasInProcess(tmp(), ['status'])
    expect(r.status).toBe(1)
    expect(r.stderr).toContain('E_NOT_A_WORKSPACE')
  })
})
