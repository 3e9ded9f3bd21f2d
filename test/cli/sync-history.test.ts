import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { ChildProcess } from 'node:child_process'
import { afterEach, describe, expect, it } from 'vitest'
import { gasOk, runGas, startGasTracker, startServe, stopGas, syncUntilPeer, type GasCommand } from '../helpers/cli-team.js'
import { pseudoRandomBytes } from '../net/helpers.js'
import { useTmp } from '../helpers/tmp.js'

const GAS: GasCommand = () => [process.execPath, resolve('bin/gas')]
const tmp = useTmp()
const children: ChildProcess[] = []
afterEach(async () => { for (const c of children.splice(0)) await stopGas(c) })

const SIZE = 3 * 1024 * 1024

/** ana (with a tracker) and a member of her team; ana commits three versions of big.bin. `before` runs in the member's folder first. */
async function teamWithThreeVersions (name: string, seed: string, before?: (member: string) => Promise<void>): Promise<{ root: string, ana: string, member: string, takes: Buffer[] }> {
  const root = tmp()
  const tracker = await startGasTracker(GAS, root, ['--host', '127.0.0.1', '--port', '0'])
  children.push(tracker.child)
  const ana = join(root, 'ana')
  const member = join(root, name)
  for (const d of [ana, member]) mkdirSync(d)
  await gasOk(GAS, ana, ['init', '--name', 'ana', '--team', 'orcs'])
  await gasOk(GAS, ana, ['team', 'tracker', tracker.printed.url])
  await gasOk(GAS, member, ['init', '--name', name])
  const me = await gasOk(GAS, member, ['whoami', '--json'])
  await gasOk(GAS, ana, ['team', 'add', me.publicKey, '--name', name, '--role', 'lead', '--out', join(root, `${name}.invite`)])
  await gasOk(GAS, member, ['team', 'join', join(root, `${name}.invite`)])
  await before?.(member)
  const takes = [1, 2, 3].map((n) => pseudoRandomBytes(`${seed} ${n}`, SIZE))
  for (const [i, take] of takes.entries()) {
    writeFileSync(join(ana, 'big.bin'), take)
    await gasOk(GAS, ana, ['add', 'big.bin'])
    await gasOk(GAS, ana, ['commit', '-m', `take ${i + 1}`])
  }
  return { root, ana, member, takes }
}

describe('gas sync fetches the content of the versions the refs name; older versions on demand', () => {
  it('a member gets one version of a file with three, is told what stays on the peers, and gets an older one with gas fetch --version or gas restore --version', async () => {
    const { root, ana, member: bo, takes } = await teamWithThreeVersions('bo', 'take')
    const serve = await startServe(GAS, ana, {}, [], 'announced to')
    children.push(serve)

    const synced = await syncUntilPeer(GAS, bo)
    expect(synced.status, synced.stderr).toBe(0)
    expect(readFileSync(join(bo, 'big.bin')).equals(takes[2])).toBe(true)
    // one version's content crossed, not the history's (three versions: 3 × SIZE)
    expect(synced.json.fetched.bytes).toBeGreaterThanOrEqual(SIZE)
    expect(synced.json.fetched.bytes).toBeLessThan(1.5 * SIZE)
    expect(synced.json.complete).toBe(true)
    expect(synced.json.missing).toBe(0)
    expect(synced.json.historyLeftOut).toEqual({ files: 2, bytes: 2 * SIZE })
    // bo's own serve beside its sync, as the README sets it up: the sync meets it, and does not say so on every run
    children.push(await startServe(GAS, bo, {}, [], 'announced to'))
    const own = await syncUntilPeer(GAS, bo)
    expect(own.json.ownProcesses).toBeGreaterThan(0)
    // a fourth version arrives: the sync that brings it says which older ones stay on the peers (take 3 is here, checked out before)
    writeFileSync(join(ana, 'big.bin'), pseudoRandomBytes('take 4', SIZE))
    await gasOk(GAS, ana, ['add', 'big.bin'])
    await gasOk(GAS, ana, ['commit', '-m', 'take 4'])
    const text = await gasOk(GAS, bo, ['sync', '--once'])
    expect(text).not.toContain('own processes')
    expect(text).toContain('  older versions of 2 file(s) (6.29 MB) stay on the peers: `gas restore PATH --version REV` fetches one')
    // a sync that brings nothing does not say it again (it came with every sync; --json keeps the count)
    expect(await gasOk(GAS, bo, ['sync', '--once'])).not.toContain('older versions of')

    // on demand: take 2, to a file beside the workspace
    const out = join(root, 'take2.bin')
    const restored = await runGas(GAS, bo, ['restore', 'big.bin', '--version', 'HEAD~2', '--out', out, '--json'])
    expect(restored.status, restored.stderr).toBe(0)
    expect(readFileSync(out).equals(takes[1])).toBe(true)
    // or fetched into the store, to restore later without a peer
    const fetched = await gasOk(GAS, bo, ['fetch', 'big.bin', '--version', 'HEAD~3', '--json'])
    expect(fetched).toMatchObject({ written: [], stored: ['big.bin'], missing: [], denied: [] })
    expect(fetched.fetched.bytes).toBeGreaterThanOrEqual(SIZE)
    const after = await syncUntilPeer(GAS, bo)
    expect(after.json.historyLeftOut).toEqual({ files: 0, bytes: 0 })
    expect(after.json.fetched.bytes).toBe(0)
    await stopGas(serve)
    const offline = await runGas(GAS, bo, ['restore', 'big.bin', '--version', 'HEAD~3', '--out', join(root, 'take1.bin')])
    expect(offline.status, offline.stderr).toBe(0)
    expect(readFileSync(join(root, 'take1.bin')).equals(takes[0])).toBe(true)
    // a version that lacks the path says so
    const none = await runGas(GAS, bo, ['fetch', 'nothing.bin', '--version', 'HEAD'])
    expect(none.status).toBe(1)
    expect(none.stderr).toMatch(/^gas: E_NOT_FOUND: .*nothing\.bin in version [0-9a-f]{12}/)
  }, 180_000)

  it('a member who keeps every version (gas sync history all) gets the history in one sync and restores an old version with no peer', async () => {
    const { root, ana, member: cy, takes } = await teamWithThreeVersions('cy', 'kept', async (cy) => {
      expect(await gasOk(GAS, cy, ['sync', 'history', '--json'])).toEqual({ history: 'current' })
      expect(await gasOk(GAS, cy, ['sync', 'history', 'all', '--json'])).toEqual({ history: 'all' })
      const bad = await runGas(GAS, cy, ['sync', 'history', 'some'])
      expect(bad.status).toBe(2)
      expect(bad.stderr).toContain('gas sync history takes current or all, not "some"')
      // the override list is kept beside the history setting
      await gasOk(GAS, cy, ['sync', 'include', 'big.bin'])
      expect(await gasOk(GAS, cy, ['sync', 'history', '--json'])).toEqual({ history: 'all' })
    })
    const serve = await startServe(GAS, ana, {}, [], 'announced to')
    children.push(serve)
    const synced = await syncUntilPeer(GAS, cy)
    expect(synced.status, synced.stderr).toBe(0)
    expect(synced.json.fetched.bytes).toBeGreaterThanOrEqual(3 * SIZE)
    expect(synced.json.historyLeftOut).toEqual({ files: 0, bytes: 0 })
    await stopGas(serve)
    const offline = await runGas(GAS, cy, ['restore', 'big.bin', '--version', 'HEAD~2', '--out', join(root, 'take1.bin')])
    expect(offline.status, offline.stderr).toBe(0)
    expect(readFileSync(join(root, 'take1.bin')).equals(takes[0])).toBe(true)
  }, 180_000)
})
