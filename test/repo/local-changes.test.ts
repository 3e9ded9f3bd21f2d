import { spawnSync } from 'node:child_process'
import { cpSync, readFileSync, writeFileSync } from 'node:fs'
import * as nodeFs from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import * as gas from '../../src/index.js'
import type { FileSystem } from '../../src/objects/fs.js'
import { checkoutVersion } from '../../src/repo/checkout.js'
import { readVersion } from '../../src/repo/tree-io.js'
import { gasSync } from '../helpers/cli.js'
import { useTmp } from '../helpers/tmp.js'

const tmp = useTmp()

/**
 * ana commits v1; bo is a copy of her workspace at v1; ana commits v2 (x.png changed, y.txt added);
 * bo receives v2's objects and his branch moves to it, as `gas sync` fast-forwards.
 */
async function aheadAndBehind (): Promise<{ ana: gas.Workspace, boRoot: string, v1: string, v2: string, fastForward: (fs?: FileSystem) => Promise<gas.Workspace> }> {
  const ana = await gas.init({ dir: tmp(), name: 'ana' })
  writeFileSync(join(ana.root, 'x.png'), 'x v1')
  writeFileSync(join(ana.root, 'z.txt'), 'z')
  await gas.add(ana, { paths: [ana.root] })
  const v1 = await gas.commit(ana, { message: 'v1' })
  await ana.close()
  const boRoot = tmp()
  // cp -a keeps nanosecond mtimes, which the index compares (node's utimes would round them)
  expect(spawnSync('cp', ['-a', `${ana.root}/.`, boRoot]).status).toBe(0)
  writeFileSync(join(ana.root, 'x.png'), 'x v2 from ana')
  writeFileSync(join(ana.root, 'y.txt'), 'new from ana')
  await gas.add(ana, { paths: [ana.root] })
  const v2 = await gas.commit(ana, { message: 'v2' })
  await ana.close()
  const fastForward = async (fs?: FileSystem): Promise<gas.Workspace> => {
    cpSync(join(ana.gasDir, 'objects'), join(boRoot, '.gas', 'objects'), { recursive: true, force: false })
    const bo = await gas.open({ dir: boRoot, fs })
    await bo.refs.update({ name: bo.branchRef, newId: v2, expectedOld: v1, message: 'fast-forward', who: 'test', now: 0 })
    return bo
  }
  return { ana, boRoot, v1, v2, fastForward }
}

describe('local work is never overwritten nor silently outvoted', () => {
  it('an incoming change to a file with an unsaved edit is a conflict; the next commit cannot revert the other side', async () => {
    const { boRoot, v2, fastForward } = await aheadAndBehind()
    writeFileSync(join(boRoot, 'x.png'), 'bo unsaved edit')
    const bo = await fastForward()
    const result = await checkoutVersion(bo, v2, (await readVersion(bo.store, v2)).parents[0])
    expect(result.conflicts).toEqual([expect.objectContaining({ path: 'x.png', local: 'edited', theirs: expect.any(String) })])
    expect(result.written).toEqual(['y.txt'])
    expect(readFileSync(join(boRoot, 'x.png'), 'utf8')).toBe('bo unsaved edit')
    await bo.close()
    // named in `gas conflicts`
    const listed = JSON.parse(gasSync(boRoot, ['conflicts', '--json']).stdout)
    expect(listed.conflicts.map((c: { path: string }) => c.path)).toEqual(['x.png'])
    expect(gasSync(boRoot, ['conflicts']).stdout).toContain('x.png  ours the edited file')
    // the lost update of before: add + commit recorded bo's edit over ana's v2 with no word
    expect(gasSync(boRoot, ['add', 'x.png']).status).toBe(0)
    const refused = gasSync(boRoot, ['commit', '-m', 'bo'])
    expect(refused.status).toBe(1)
    expect(refused.stderr).toMatch(/^gas: E_CONFLICT: 1 conflict\(s\) left: x\.png/)
    // a conscious choice: ours keeps (and stages) the edited file
    expect(gasSync(boRoot, ['resolve', 'x.png', '--take', 'ours']).status).toBe(0)
    expect(readFileSync(join(boRoot, 'x.png'), 'utf8')).toBe('bo unsaved edit')
    const c = JSON.parse(gasSync(boRoot, ['commit', '-m', 'bo keeps his x', '--json']).stdout)
    const after = await gas.open({ dir: boRoot })
    expect((await readVersion(after.store, c.version)).parents).toEqual([v2])
    expect((await gas.conflicts(after)).conflicts).toEqual([])
    await after.close()
  })

  it('resolving with theirs over an unsaved edit needs force; it writes the incoming version and nothing waits after', async () => {
    const { boRoot, v2, fastForward } = await aheadAndBehind()
    writeFileSync(join(boRoot, 'x.png'), 'bo unsaved edit')
    const bo = await fastForward()
    await checkoutVersion(bo, v2, (await readVersion(bo.store, v2)).parents[0])
    // the unsaved edit is in no version: taking theirs over it is asked for with force
    await expect(gas.resolveConflict(bo, { path: 'x.png', take: 'theirs' })).rejects.toMatchObject({ code: 'E_LOCAL_CHANGES' })
    expect(readFileSync(join(boRoot, 'x.png'), 'utf8')).toBe('bo unsaved edit')
    await gas.resolveConflict(bo, { path: 'x.png', take: 'theirs', force: true })
    expect(readFileSync(join(boRoot, 'x.png'), 'utf8')).toBe('x v2 from ana')
    expect((await gas.conflicts(bo)).from).toBeNull() // a fast-forward needs no merge commit
    await expect(gas.commit(bo, { message: 'nothing' })).rejects.toMatchObject({ code: 'E_NOTHING_TO_COMMIT' })
    await bo.close()
  })

  it('an untracked file where an incoming asset lands is a conflict, not overwritten', async () => {
    const { boRoot, v2, fastForward } = await aheadAndBehind()
    writeFileSync(join(boRoot, 'y.txt'), 'bo own y')
    const bo = await fastForward()
    const result = await checkoutVersion(bo, v2, (await readVersion(bo.store, v2)).parents[0])
    expect(result.conflicts.map((c) => [c.path, c.ours, c.local])).toEqual([['y.txt', null, 'edited']])
    expect(readFileSync(join(boRoot, 'y.txt'), 'utf8')).toBe('bo own y')
    await bo.close()
  })

  it('restore in place refuses to overwrite an unsaved edit without --force; --out and --force work', async () => {
    const { ana, v1 } = await aheadAndBehind()
    writeFileSync(join(ana.root, 'x.png'), 'unsaved')
    const r = gasSync(ana.root, ['restore', 'x.png', '--version', v1])
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(/^gas: E_LOCAL_CHANGES: x\.png has changes that are not staged/)
    expect(readFileSync(join(ana.root, 'x.png'), 'utf8')).toBe('unsaved')
    expect(gasSync(ana.root, ['restore', 'x.png', '--version', v1, '--out', 'old.png']).status).toBe(0)
    expect(readFileSync(join(ana.root, 'old.png'), 'utf8')).toBe('x v1')
    expect(gasSync(ana.root, ['restore', 'x.png', '--version', v1, '--force']).status).toBe(0)
    expect(readFileSync(join(ana.root, 'x.png'), 'utf8')).toBe('x v1')
    // a clean file is restored without --force
    expect(gasSync(ana.root, ['restore', 'z.txt', '--version', v1]).status).toBe(0)
  })

  it('checkout reports a full disk with its cause, not as content that is not here', async () => {
    const { boRoot, v2, fastForward } = await aheadAndBehind()
    const enospc = (): never => { const e = new Error('no space') as NodeJS.ErrnoException; e.code = 'ENOSPC'; throw e }
    const fullFs: FileSystem = { ...nodeFs, open: (async (path: string, flags?: string) => String(path).includes('.gas-tmp-') ? enospc() : await nodeFs.open(path, flags)) as FileSystem['open'] }
    const bo = await fastForward(fullFs)
    await expect(checkoutVersion(bo, v2, (await readVersion(bo.store, v2)).parents[0])).rejects.toMatchObject({ code: 'E_DISK_FULL' })
    expect(readFileSync(join(boRoot, 'x.png'), 'utf8')).toBe('x v1')
    await bo.close()
  })

  it('a damaged merge.json is an error, not "no merge in progress"', async () => {
    const { ana } = await aheadAndBehind()
    writeFileSync(join(ana.gasDir, 'merge.json'), '{"ours": "tru')
    const r = gasSync(ana.root, ['conflicts'])
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(/^gas: E_CORRUPT_OBJECT: .*merge\.json is damaged/)
    writeFileSync(join(ana.gasDir, 'merge.json'), '{"ours": 1}')
    expect(gasSync(ana.root, ['commit', '-m', 'x']).stderr).toMatch(/merge\.json is damaged \(not a merge state\)/)
  })
})
