import { mkdirSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import * as gas from '../../src/index.js'
import { IgnoreRules } from '../../src/repo/ignore-rules.js'
import { walkWorkspaceParallel } from '../../src/repo/parallel-walk.js'
import { workspaceStatus } from '../../src/repo/status.js'
import { walkWorkspace } from '../../src/repo/workspace-walk.js'
import { useTmp } from '../helpers/tmp.js'

const tmp = useTmp()

/** Every file and folder a minute old, so stamps are not racy. */
function aged (path: string): void {
  const t = new Date(Date.now() - 60_000)
  utimesSync(path, t, t)
}

/** 40 folders of 5 files (two levels deep under `levels/`), an ignored engine cache, a link, files at the root. */
function makeTree (dir: string): void {
  for (let f = 0; f < 40; f++) {
    const folder = join(dir, 'levels', `zone${f}`, 'tiles')
    mkdirSync(folder, { recursive: true })
    for (let i = 0; i < 5; i++) { writeFileSync(join(folder, `t${i}.dat`), `zone ${f} tile ${i}`); aged(join(folder, `t${i}.dat`)) }
  }
  mkdirSync(join(dir, 'levels', 'zone3', 'Intermediate'))
  writeFileSync(join(dir, 'levels', 'zone3', 'Intermediate', 'cache.bin'), 'engine cache')
  writeFileSync(join(dir, 'readme.txt'), 'hello')
  aged(join(dir, 'readme.txt'))
}

describe('the status walk on two threads', () => {
  it('finds what the one-thread walk finds: tracked with stat data, untracked, ignored folders left out', async () => {
    const dir = tmp()
    makeTree(dir)
    writeFileSync(join(dir, 'levels', 'zone7', 'tiles', 'x.tmp'), 'litter')
    symlinkSync(join(dir, 'readme.txt'), join(dir, 'levels', 'zone8', 'link.txt'))
    const rules = IgnoreRules.fromText('')
    const tracked = new Set(['readme.txt', 'levels/zone1/tiles/t0.dat', 'levels/zone2/tiles/t4.dat', 'levels/zone39/tiles/t3.dat'])
    const collect = (): { visitor: Parameters<typeof walkWorkspace>[2], seen: Record<string, unknown> } => {
      const seen: Record<string, unknown> = {}
      return { seen, visitor: { tracked: (p) => (tracked.has(p) ? p : undefined), onTracked: (p, _e, st) => { seen[p] = { size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino } }, onUntracked: (p) => { seen[p] = 'untracked' } } }
    }
    const one = collect()
    walkWorkspace(dir, rules, one.visitor)
    const two = collect()
    await walkWorkspaceParallel(dir, rules, two.visitor)
    expect(two.seen).toEqual(one.seen)
    expect(Object.keys(two.seen)).toHaveLength(40 * 5 + 1)
    expect(two.seen['levels/zone39/tiles/t3.dat']).toMatchObject({ size: 'zone 39 tile 3'.length })
    expect(two.seen['levels/zone3/Intermediate/cache.bin']).toBeUndefined()
    expect(two.seen['levels/zone7/tiles/x.tmp']).toBeUndefined()
    expect(two.seen['levels/zone8/link.txt']).toBeUndefined()
  })

  it('a workspace with few folders is walked on this thread alone, with the same answer', async () => {
    const dir = tmp()
    mkdirSync(join(dir, 'a'))
    writeFileSync(join(dir, 'a', 'one.txt'), '1')
    writeFileSync(join(dir, 'two.txt'), '2')
    const seen: string[] = []
    await walkWorkspaceParallel(dir, IgnoreRules.fromText(''), { tracked: () => undefined, onTracked: () => {}, onUntracked: (p) => seen.push(p) })
    expect(seen.sort()).toEqual(['a/one.txt', 'two.txt'])
  })

  it('gas status gives the same answer either way on a workspace large enough to split', async () => {
    const dir = tmp()
    makeTree(dir)
    const ws = await gas.init({ dir, name: 'ana' })
    await gas.add(ws, { paths: [dir] })
    await gas.commit(ws, { message: 'tiles' })
    writeFileSync(join(dir, 'levels', 'zone5', 'tiles', 't1.dat'), 'edited, longer than before')
    rmSync(join(dir, 'levels', 'zone6', 'tiles', 't2.dat'))
    writeFileSync(join(dir, 'levels', 'zone9', 'tiles', 'new.dat'), 'new')
    writeFileSync(join(dir, 'levels', 'zone12', 'tiles', 't0.dat'), 'zone 12 tile X') // same size, new content and times
    const serial = await workspaceStatus(ws, { parallelFrom: Infinity })
    const parallel = await workspaceStatus(ws, { parallelFrom: 1 })
    expect({ ...parallel, hashed: 0 }).toEqual({ ...serial, hashed: 0 })
    expect(parallel.modified).toEqual(['levels/zone12/tiles/t0.dat', 'levels/zone5/tiles/t1.dat'])
    expect(parallel.deleted).toEqual(['levels/zone6/tiles/t2.dat'])
    expect(parallel.untracked).toEqual(['levels/zone9/tiles/new.dat'])
    await ws.close()
  })
})
