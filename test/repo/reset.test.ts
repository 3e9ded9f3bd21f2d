import { readFileSync, writeFileSync, mkdirSync, rmSync, existsSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import * as gas from '../../src/index.js'
import { readMergeState, writeMergeState } from '../../src/repo/merge-state.js'
import { resetIndex } from '../../src/repo/reset.js'
import { workspaceStatus } from '../../src/repo/status.js'
import { gasInProcess } from '../helpers/cli.js'
import { useTmp } from '../helpers/tmp.js'

const tmp = useTmp()

/** A workspace with one version (tex/a.txt, b.txt), then: tex/a.txt edited and staged, b.txt's removal staged, c.txt added */
async function staged (): Promise<gas.Workspace> {
  const ws = await gas.init({ dir: tmp(), name: 'ana' })
  mkdirSync(join(ws.root, 'tex'))
  writeFileSync(join(ws.root, 'tex/a.txt'), 'a1')
  writeFileSync(join(ws.root, 'b.txt'), 'b1')
  await gas.add(ws, { paths: [ws.root] })
  await gas.commit(ws, { message: 'one' })
  writeFileSync(join(ws.root, 'tex/a.txt'), 'a2 edited')
  writeFileSync(join(ws.root, 'c.txt'), 'c new')
  await gas.add(ws, { paths: [join(ws.root, 'tex'), join(ws.root, 'c.txt')] })
  await gasInProcess(ws.root, ['rm', '--cached', 'b.txt'])
  return ws
}

describe('gas reset: unstage, and rebuild a damaged index', () => {
  it('unstages a folder, then everything, as HEAD has it; the files stay as the user left them', async () => {
    const ws = await staged()
    expect((await workspaceStatus(ws)).staged.map((c) => `${c.change} ${c.path}`).sort()).toEqual(['added c.txt', 'deleted b.txt', 'modified tex/a.txt'])
    expect(await resetIndex(ws, { paths: ['tex'], cwd: ws.root })).toEqual({ unstaged: ['tex/a.txt'], rebuilt: false, abandonedMerge: null })
    let status = await workspaceStatus(ws)
    expect(status.staged.map((c) => c.path).sort()).toEqual(['b.txt', 'c.txt'])
    expect(status.modified).toEqual(['tex/a.txt'])
    const all = await gasInProcess(ws.root, ['reset', '--json'])
    expect(all.status).toBe(0)
    expect(JSON.parse(all.stdout)).toEqual({ unstaged: ['b.txt', 'c.txt'], rebuilt: false, abandonedMerge: null })
    status = await workspaceStatus(ws)
    expect(status.staged).toEqual([])
    expect(status.modified).toEqual(['tex/a.txt'])
    expect(status.untracked).toEqual(['c.txt'])
    // nothing in the workspace was written
    expect(readFileSync(join(ws.root, 'tex/a.txt'), 'utf8')).toBe('a2 edited')
    expect(readFileSync(join(ws.root, 'c.txt'), 'utf8')).toBe('c new')
    expect((await gasInProcess(ws.root, ['reset'])).stdout).toMatch(/nothing was staged there/)
    await ws.close()
  })

  it('a damaged index: every command names `gas reset`, which makes it again from HEAD without hiding an edit or a deletion', async () => {
    const ws = await staged()
    writeFileSync(join(ws.gasDir, 'index.json'), '{"base": "trunc')
    const broken = await gasInProcess(ws.root, ['status'])
    expect(broken.status).toBe(1)
    expect(broken.stderr).toMatch(/E_CORRUPT_OBJECT: \.gas\/index\.json is damaged; `gas reset` makes it again from HEAD/)
    // a path reset needs the old index: the whole one is what repairs it
    await expect(resetIndex(ws, { paths: ['tex'], cwd: ws.root })).rejects.toMatchObject({ code: 'E_CORRUPT_OBJECT' })
    rmSync(join(ws.root, 'b.txt'))
    // the same size as the committed 'a1': only reading it tells it apart
    writeFileSync(join(ws.root, 'tex/a.txt'), 'a9')
    const rebuilt = await gasInProcess(ws.root, ['reset'])
    expect(rebuilt.status).toBe(0)
    expect(rebuilt.stdout).toMatch(/could not be read: made again from HEAD/)
    const status = await workspaceStatus(ws)
    // no stamp was trusted: the edited file is read and found modified, the removed one deleted
    expect(status.modified).toEqual(['tex/a.txt'])
    expect(status.deleted).toEqual(['b.txt'])
    expect(status.untracked).toEqual(['c.txt'])
    expect(status.staged).toEqual([])
    expect(status.hashed).toBe(1)
    await ws.close()
  })

  it('a whole reset gives up a waiting merge (git does too); a path reset keeps it; a path nothing names is E_NOT_FOUND', async () => {
    const ws = await staged()
    const head = (await ws.head())!
    await writeMergeState(ws, { ours: head, theirs: head, from: 'bo\'s main', conflicts: [{ path: 'tex/a.txt', base: null, ours: null, theirs: null }] })
    expect((await resetIndex(ws, { paths: ['c.txt'], cwd: ws.root })).abandonedMerge).toBeNull()
    expect(await readMergeState(ws)).not.toBeNull()
    await expect(resetIndex(ws, { paths: ['nope/x.png'], cwd: ws.root })).rejects.toMatchObject({ code: 'E_NOT_FOUND' })
    const r = await gasInProcess(ws.root, ['reset'])
    expect(r.stdout).toMatch(/merge of bo's main given up/)
    expect(await readMergeState(ws)).toBeNull()
    expect(existsSync(join(ws.gasDir, 'merge.json'))).toBe(false)
    await ws.close()
  })

  it('before the first version: everything staged is unstaged', async () => {
    const ws = await gas.init({ dir: tmp(), name: 'ana' })
    writeFileSync(join(ws.root, 'x.txt'), 'x')
    await gas.add(ws, { paths: [join(ws.root, 'x.txt')] })
    expect(await resetIndex(ws)).toEqual({ unstaged: ['x.txt'], rebuilt: false, abandonedMerge: null })
    expect((await workspaceStatus(ws)).untracked).toEqual(['x.txt'])
    await ws.close()
  })
})
