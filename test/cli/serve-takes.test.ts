import type { ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { cliTeam, gasOk, runGas, startGas, startGasTracker, startServe, stopGas, syncUntilPeer, type GasCommand } from '../helpers/cli-team.js'
import { useTmp } from '../helpers/tmp.js'
import * as gas from '../../src/index.js'

const GAS: GasCommand = () => [process.execPath, resolve('bin/gas')]
const tmp = useTmp()
const children: ChildProcess[] = []
afterEach(async () => { for (const c of children.splice(0)) await stopGas(c) })

/** A team of three with the tracker; ana serves (its stderr collected), bo and cy sync. */
async function team (): Promise<{ ana: string, bo: string, cy: string, said: () => string }> {
  const root = tmp()
  const tracker = await startGasTracker(GAS, root, ['--host', '127.0.0.1', '--port', '0'])
  children.push(tracker.child)
  const [ana, bo, cy] = await cliTeam(root, ['ana', 'bo', 'cy'], [GAS, GAS, GAS], [tracker.printed.url])
  writeFileSync(join(ana, 'hero.png'), randomBytes(300_000))
  await gasOk(GAS, ana, ['add', 'hero.png'])
  await gasOk(GAS, ana, ['commit', '-m', 'hero'])
  const serve = await startServe(GAS, ana, {}, ['--listen', '127.0.0.1:0'], 'announced to')
  children.push(serve)
  let err = ''
  serve.stderr?.on('data', (d: Buffer) => { err += d.toString() })
  expect((await syncUntilPeer(GAS, bo)).json.complete).toBe(true)
  return { ana, bo, cy, said: () => err }
}

async function commitFile (dir: string, name: string, bytes: Buffer, message: string): Promise<void> {
  writeFileSync(join(dir, name), bytes)
  await gasOk(GAS, dir, ['add', name])
  await gasOk(GAS, dir, ['commit', '-m', message])
}

async function log (dir: string): Promise<Array<{ id: string, parents: string[], message: string }>> {
  return (await gasOk(GAS, dir, ['log', '--json'])).versions
}

describe('gas serve takes the versions a member that connects has ahead', () => {
  it('a member commits, syncs once and leaves: the serve kept it, and another member gets it from the serve alone', async () => {
    const { ana, bo, cy, said } = await team()
    const tree = randomBytes(400_000)
    await commitFile(bo, 'tree.fbx', tree, 'bo tree')
    const synced = await runGas(GAS, bo, ['sync', '--once'])
    expect(synced.status).toBe(0)
    expect(synced.stdout).toContain('refs/heads/main: ana took it (ahead of theirs)')
    await vi.waitFor(() => expect(said()).toContain("took bo's versions: refs/heads/main fast-forward"), { timeout: 10_000, interval: 100 })
    // the serve's workspace follows, as a sync there would have
    expect(readFileSync(join(ana, 'tree.fbx')).equals(tree)).toBe(true)
    // bo is offline (his sync returned, nothing of his runs): cy gets his work from ana
    const cys = await syncUntilPeer(GAS, cy)
    expect(cys.json.complete).toBe(true)
    expect(cys.json.asked).toEqual(['ana'])
    expect(readFileSync(join(cy, 'tree.fbx')).equals(tree)).toBe(true)
    expect((await log(cy))[0].message).toBe('bo tree')
  }, 120_000)

  it('work on both sides: the member merges, the serve takes the merge; one merge version, and the next sync is quiet', async () => {
    const { ana, bo, said } = await team()
    // ana commits beside her serve, bo on his laptop: the branch diverged
    await commitFile(ana, 'rock.fbx', randomBytes(200_000), 'ana rock')
    await commitFile(bo, 'bush.fbx', randomBytes(200_000), 'bo bush')
    const synced = await syncUntilPeer(GAS, bo)
    expect(synced.json.merge.version).toMatch(/^[0-9a-f]{64}$/)
    expect(synced.json.refs.find((r: { ref: string }) => r.ref === 'refs/heads/main').action).toBe('delivered')
    await vi.waitFor(() => expect(said()).toContain("took bo's versions: refs/heads/main fast-forward"), { timeout: 10_000, interval: 100 })
    const anaLog = await log(ana)
    expect(anaLog[0].id).toBe(synced.json.merge.version)
    expect(anaLog.filter((v) => v.parents.length === 2)).toHaveLength(1)
    // both merged would make two merge versions, diverged again: each sync after would merge anew
    const again = await syncUntilPeer(GAS, bo)
    expect(again.json.merge).toBe(null)
    expect(again.json.fetched.objects).toBe(0)
    expect((await log(ana))[0].id).toBe(synced.json.merge.version)
    expect((await log(bo))[0].id).toBe(synced.json.merge.version)
  }, 120_000)

  it("an edit not saved as a version on the serve's side is kept: the change becomes a conflict there", async () => {
    const { ana, bo, said } = await team()
    const edited = randomBytes(300_000)
    writeFileSync(join(ana, 'hero.png'), edited)
    await commitFile(bo, 'hero.png', randomBytes(250_000), 'bo hero v2')
    expect((await syncUntilPeer(GAS, bo)).status).toBe(0)
    await vi.waitFor(() => expect(said()).toContain('CONFLICT hero.png: changed by bo, and edited here; your file is kept'), { timeout: 10_000, interval: 100 })
    expect(readFileSync(join(ana, 'hero.png')).equals(edited)).toBe(true)
    expect((await runGas(GAS, ana, ['conflicts'])).stdout).toContain('hero.png')
  }, 120_000)

  it('takes nothing while a command holds the workspace, and says so; the member keeps its versions for the next sync', async () => {
    const { ana, bo, said } = await team()
    const holder = startGas(() => [process.execPath], ana, ['-e', 'setTimeout(() => {}, 120000)'])
    children.push(holder)
    writeFileSync(join(ana, '.gas', 'workspace.lock'), JSON.stringify({ pid: holder.pid, command: 'gas restore big.pak', since: new Date().toISOString(), nonce: 'test' }))
    await commitFile(bo, 'tree.fbx', randomBytes(100_000), 'bo tree')
    const synced = await syncUntilPeer(GAS, bo)
    expect(synced.json.refs[0].action).toBe('ahead')
    expect(said()).toContain(`could not take bo's versions: E_LOCKED: the workspace is locked by pid ${String(holder.pid)} (gas restore big.pak)`)
    expect((await log(ana))[0].message).toBe('hero')
    // the command ends: the next sync delivers
    await stopGas(holder)
    const later = await syncUntilPeer(GAS, bo)
    expect(later.json.refs[0].action).toBe('delivered')
    await vi.waitFor(() => expect(readFileSync(join(ana, 'tree.fbx')).byteLength).toBe(100_000), { timeout: 10_000, interval: 100 })
  }, 120_000)

  it('what a member may not write is refused by the serve as by any peer: a build from an artist stays out', async () => {
    const { ana, bo, said } = await team()
    await gasOk(GAS, ana, ['team', 'roles', 'bo', 'artist'])
    const build = tmp()
    mkdirSync(join(build, 'bin'))
    writeFileSync(join(build, 'bin', 'game.exe'), 'the game')
    // `gas build publish` refuses an artist; through the API, as a modified client would, the build is made
    const boWs = await gas.open({ dir: bo })
    try {
      await gas.publishBuild(boWs, { dir: build, name: 'game', version: '1.0' })
    } finally {
      await boWs.close()
    }
    expect((await syncUntilPeer(GAS, bo)).status).toBe(0)
    await vi.waitFor(() => expect(said()).toContain('refs/builds/game/1.0 from bo refused: E_ACCESS_DENIED'), { timeout: 10_000, interval: 100 })
    expect((await runGas(GAS, ana, ['build', 'list'])).stdout).not.toContain('game')
  }, 120_000)

  it('a member that syncs while the serve takes another waits its turn and says so, and leaves once its versions are taken', async () => {
    const { bo, cy, said } = await team()
    expect((await syncUntilPeer(GAS, cy)).json.complete).toBe(true)
    // bo sends at 1 MB/s: the serve's take of his 12 MB outlasts cy's 5 s of idle lingering
    await gasOk(GAS, bo, ['schedule', 'set', '--outside-limit', '1MB/s'])
    // cy's rules leave bo's texture on the peers: cy's own sync is quick, what it waits for is its turn
    await gasOk(GAS, cy, ['sync', 'exclude', '*.psd'])
    await commitFile(bo, 'rock.psd', randomBytes(12_000_000), 'bo rock')
    await commitFile(cy, 'notes.txt', Buffer.from('notes\n'), 'cy notes')
    const boSync = runGas(GAS, bo, ['sync', '--once'])
    await vi.waitFor(() => expect(said()).toContain('bo connected'), { timeout: 20_000, interval: 100 })
    await new Promise((resolve) => setTimeout(resolve, 2_500))
    const cySync = await runGas(GAS, cy, ['sync', '--once'])
    expect(cySync.status, cySync.stderr).toBe(0)
    expect(cySync.stderr).toContain("waiting: ana takes 1 other member(s)' versions first; yours next")
    // the serve took cy's as it was (cy met bo first and merged) or into a merge of its own, which cy's second round brought: never left behind
    expect(cySync.stdout).toMatch(/refs\/heads\/main: ana took it( \(ahead of theirs\)| into a merge of theirs, and you are at that merge now)\n/)
    expect((await boSync).status).toBe(0)
    await vi.waitFor(() => expect(said()).toContain("took cy's versions"), { timeout: 10_000, interval: 100 })
    expect(said()).toContain("took bo's versions")
    const cyTaken = said().slice(said().indexOf("took cy's versions"))
    // a merge is said as a member's sync says it: the divergence, then the merge (not "no ref moved")
    if (cyTaken.startsWith("took cy's versions: into a merge")) expect(cyTaken).toMatch(/^took cy's versions: into a merge; .*\n {2}refs\/heads\/main diverged from cy: theirs recorded as refs\/remotes\/cy\/heads\/main\n {2}merged cy's main as /)
    else expect(cyTaken).toMatch(/^took cy's versions: refs\/heads\/main fast-forward/)
  }, 120_000)
})
