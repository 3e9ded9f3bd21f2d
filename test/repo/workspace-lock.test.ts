import { randomBytes } from 'node:crypto'
import { spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync, existsSync, mkdirSync, utimesSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import * as gas from '../../src/index.js'
import { realFs } from '../../src/objects/fs.js'
import { readIndex } from '../../src/repo/staging-index.js'
import { WORKSPACE_LOCK, acquireWorkspaceLock, lockHolder } from '../../src/repo/workspace-lock.js'
import { GAS_BIN, gasSync } from '../helpers/cli.js'
import { gasAsync } from '../helpers/team.js'
import { DEAD_PID } from '../helpers/dead-pid.js'
import { useTmp } from '../helpers/tmp.js'

const tmp = useTmp()

function deadPid (): number {
  return DEAD_PID
}

describe('workspace lock', () => {
  it('two gas add processes at once in one workspace: every file an add reported is staged', async () => {
    const ws = await gas.init({ dir: tmp(), name: 'ana' })
    for (let round = 0; round < 3; round++) {
      const names = [`a${round}.bin`, `b${round}.bin`]
      for (const [i, n] of names.entries()) writeFileSync(join(ws.root, n), randomBytes(6_000_000 + i))
      const results = await Promise.all(names.map(async (n) => await gasAsync(ws.root, ['add', n])))
      // on main one add's index write replaced the other's (read before, written after the ingest)
      const staged = Object.keys((await readIndex(realFs, ws.gasDir)).entries)
      for (const [i, r] of results.entries()) {
        // each either staged its file or said, typed, that it could not
        if (r.status === 0) expect(staged).toContain(names[i])
        else expect(r.stderr).toMatch(/^gas: E_LOCKED: .*pid \d+ \(gas add/)
      }
    }
    expect(existsSync(join(ws.gasDir, WORKSPACE_LOCK))).toBe(false)
  }, 60_000)

  it('a second command waits, then fails with E_LOCKED naming the holder pid and command; readers need no lock', async () => {
    const ws = await gas.init({ dir: tmp(), name: 'ana' })
    writeFileSync(join(ws.root, 'a.txt'), 'a')
    const release = await acquireWorkspaceLock(realFs, ws.gasDir, { command: 'gas commit -m held' })
    try {
      const r = spawnSync(process.execPath, [GAS_BIN, 'add', 'a.txt'], { cwd: ws.root, encoding: 'utf8', env: { ...process.env, GAS_LOCK_WAIT_MS: '300' } })
      expect(r.status).toBe(1)
      expect(r.stderr).toContain(`gas: E_LOCKED: the workspace is locked by pid ${process.pid} (gas commit -m held)`)
      expect(Object.keys((await readIndex(realFs, ws.gasDir)).entries)).toEqual([])
      expect(gasSync(ws.root, ['log', '--json']).status).toBe(0) // reading never locks
      await expect(gas.add(await gas.open({ dir: ws.root, lockWaitMs: 50 }), { paths: [join(ws.root, 'a.txt')] })).rejects.toMatchObject({ code: 'E_LOCKED', data: { pid: process.pid } })
    } finally {
      await release()
    }
    expect(gasSync(ws.root, ['add', 'a.txt']).status).toBe(0)
    expect(await lockHolder(realFs, ws.gasDir)).toBeUndefined()
  })

  it('the lock of a process that is gone is taken over', async () => {
    const ws = await gas.init({ dir: tmp(), name: 'ana' })
    writeFileSync(join(ws.root, 'a.txt'), 'a')
    const pid = deadPid()
    writeFileSync(join(ws.gasDir, WORKSPACE_LOCK), JSON.stringify({ pid, command: 'gas add killed', since: new Date().toISOString(), nonce: 'x' }))
    const r = gasSync(ws.root, ['add', 'a.txt'])
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    expect(Object.keys((await readIndex(realFs, ws.gasDir)).entries)).toEqual(['a.txt'])
    expect(existsSync(join(ws.gasDir, WORKSPACE_LOCK))).toBe(false)
  })

  it('a lock file with no readable holder is waited for while young, taken over once old', async () => {
    const ws = await gas.init({ dir: tmp(), name: 'ana' })
    const lock = join(ws.gasDir, WORKSPACE_LOCK)
    writeFileSync(lock, '')
    const at = Date.now()
    await expect(acquireWorkspaceLock(realFs, ws.gasDir, { waitMs: 0, now: () => at })).rejects.toMatchObject({ code: 'E_LOCKED' })
    utimesSync(lock, new Date(at - 10_000), new Date(at - 10_000))
    const release = await acquireWorkspaceLock(realFs, ws.gasDir, { waitMs: 0, command: 'gas test' })
    expect(JSON.parse(readFileSync(lock, 'utf8'))).toMatchObject({ pid: process.pid, command: 'gas test' })
    await release()
    expect(existsSync(lock)).toBe(false)
  })

  it('concurrent calls of one process queue for the lock: every add stays staged', async () => {
    const ws = await gas.init({ dir: tmp(), name: 'ana' })
    const names = Array.from({ length: 6 }, (_, i) => `f${i}.txt`)
    for (const n of names) writeFileSync(join(ws.root, n), n)
    await Promise.all(names.map(async (n) => await gas.add(ws, { paths: [join(ws.root, n)] })))
    expect(Object.keys((await readIndex(realFs, ws.gasDir)).entries).sort()).toEqual(names)
  })

  it('is re-entrant within one workspace object (a merge checks out and commits under one lock)', async () => {
    const ws = await gas.init({ dir: tmp(), name: 'ana' })
    const inner = await ws.withLock(async () => await ws.withLock(async () => (await lockHolder(realFs, ws.gasDir))?.pid))
    expect(inner).toBe(process.pid)
    expect(await lockHolder(realFs, ws.gasDir)).toBeUndefined()
  })

  it('a lock path that is not a file (a directory) is a typed error at once, not a loop spinning until killed', async () => {
    const ws = await gas.init({ dir: tmp(), name: 'ana' })
    mkdirSync(join(ws.gasDir, WORKSPACE_LOCK))
    writeFileSync(join(ws.root, 'a.txt'), 'a')
    const started = Date.now()
    const r = gasSync(ws.root, ['add', 'a.txt'])
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(/^gas: E_IO: .*workspace\.lock cannot be read as a lock \(EISDIR\): if no gas command is running here, remove it/)
    expect(Date.now() - started).toBeLessThan(10_000)
    await ws.close()
  })
})
