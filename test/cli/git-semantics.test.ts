import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { ChildProcess } from 'node:child_process'
import { afterEach, describe, expect, it } from 'vitest'
import { cliTeam, gasOk, runGas, startGasTracker, startServe, stopGas, syncUntilPeer, type GasCommand } from '../helpers/cli-team.js'
import { useTmp } from '../helpers/tmp.js'

/* `gas` behaving as a user coming from git expects, each through real bin/gas processes. */

const GAS: GasCommand = () => [process.execPath, resolve('bin/gas')]
const tmp = useTmp()
const children: ChildProcess[] = []
afterEach(async () => { for (const c of children.splice(0)) await stopGas(c) })

async function workspace (): Promise<string> {
  const dir = tmp()
  await gasOk(GAS, dir, ['init', '--name', 'ana'])
  mkdirSync(join(dir, 'art'))
  writeFileSync(join(dir, 'art/a.txt'), 'first\n')
  writeFileSync(join(dir, 'art/b.txt'), 'second\n')
  await gasOk(GAS, dir, ['add', 'art'])
  await gasOk(GAS, dir, ['commit', '-m', 'two files'])
  return dir
}

describe('gas rm', () => {
  it('deletes the file as git rm does; --cached keeps it untracked; an unstaged edit is refused without --force', async () => {
    const dir = await workspace()
    expect(await gasOk(GAS, dir, ['rm', 'art/a.txt', '--json'])).toEqual({ removed: ['art/a.txt'], cached: false })
    expect(existsSync(join(dir, 'art/a.txt'))).toBe(false)
    expect((await gasOk(GAS, dir, ['rm', '--cached', 'art/b.txt'])).trim()).toBe('removed art/b.txt (file kept)')
    expect(readFileSync(join(dir, 'art/b.txt'), 'utf8')).toBe('second\n')
    await gasOk(GAS, dir, ['add', 'art/b.txt'])
    writeFileSync(join(dir, 'art/b.txt'), 'edited, not staged\n')
    const refused = await runGas(GAS, dir, ['rm', 'art/b.txt'])
    expect(refused.status).toBe(1)
    expect(refused.stderr).toMatch(/^gas: E_LOCAL_CHANGES: art\/b.txt has changes that are not staged/)
    expect(existsSync(join(dir, 'art/b.txt'))).toBe(true)
    await gasOk(GAS, dir, ['rm', '-f', 'art/b.txt'])
    expect(existsSync(join(dir, 'art/b.txt'))).toBe(false)
    expect((await runGas(GAS, dir, ['rm', 'art/none.txt'])).stderr).toMatch(/^gas: E_NOT_FOUND: /)
  })

  it('both sides of a sync agree: the file a member removed goes from the other member\'s checkout too', async () => {
    const root = tmp()
    const t = await startGasTracker(GAS, root, ['--port', '0', '--host', '127.0.0.1'])
    children.push(t.child)
    const [ana, bo] = await cliTeam(root, ['ana', 'bo'], [GAS, GAS], [t.printed.url])
    writeFileSync(join(ana, 'keep.txt'), 'stays\n')
    writeFileSync(join(ana, 'gone.txt'), 'goes\n')
    await gasOk(GAS, ana, ['add', 'keep.txt', 'gone.txt'])
    await gasOk(GAS, ana, ['commit', '-m', 'two'])
    const serving = await startServe(GAS, ana)
    children.push(serving)
    expect((await syncUntilPeer(GAS, bo)).json.peers).toBe(1)
    expect(readFileSync(join(bo, 'gone.txt'), 'utf8')).toBe('goes\n')
    await stopGas(serving)
    await gasOk(GAS, ana, ['rm', 'gone.txt'])
    await gasOk(GAS, ana, ['commit', '-m', 'drop gone.txt'])
    children.push(await startServe(GAS, ana))
    expect((await syncUntilPeer(GAS, bo)).json.peers).toBe(1)
    for (const dir of [ana, bo]) {
      expect(existsSync(join(dir, 'gone.txt'))).toBe(false)
      expect(readFileSync(join(dir, 'keep.txt'), 'utf8')).toBe('stays\n')
    }
    expect((await gasOk(GAS, bo, ['find', '--json'])).assets.map((a: { path: string }) => a.path)).toEqual(['keep.txt'])
  }, 120_000)
})

describe('history and versions', () => {
  it('gas log of a path no version holds is E_NOT_FOUND; a staged or removed one is not', async () => {
    const dir = await workspace()
    const unknown = await runGas(GAS, dir, ['log', 'art/typo.txt'])
    expect(unknown.status).toBe(1)
    expect(unknown.stderr).toMatch(/^gas: E_NOT_FOUND: asset art\/typo.txt/)
    writeFileSync(join(dir, 'new.txt'), 'new\n')
    await gasOk(GAS, dir, ['add', 'new.txt'])
    expect(await gasOk(GAS, dir, ['log', 'new.txt', '--json'])).toEqual({ versions: [] })
    expect((await gasOk(GAS, dir, ['log', 'art/b.txt', '--json'])).versions).toHaveLength(1)
    await gasOk(GAS, dir, ['rm', 'art/a.txt'])
    await gasOk(GAS, dir, ['commit', '-m', 'without a'])
    expect((await gasOk(GAS, dir, ['log', 'art/a.txt', '--json'])).versions.map((v: { message: string }) => v.message)).toEqual(['without a', 'two files'])
    const empty = tmp()
    await gasOk(GAS, empty, ['init'])
    expect((await runGas(GAS, empty, ['log', 'x', '--json'])).stderr).toContain('"code":"E_NOT_FOUND"')
    // an empty log says why instead of printing nothing (as if the command had not run)
    expect((await gasOk(GAS, empty, ['log'])).trim()).toBe('no versions yet: `gas add PATH`, then `gas commit -m MESSAGE` records the first')
    expect(await gasOk(GAS, empty, ['log', '--json'])).toEqual({ versions: [] })
    writeFileSync(join(empty, 'x.txt'), 'x\n')
    await gasOk(GAS, empty, ['add', 'x.txt'])
    expect((await gasOk(GAS, empty, ['log', 'x.txt'])).trim()).toBe('no version changed x.txt')
  })

  it('gas tag --json lists each tag with the version it names', async () => {
    const dir = await workspace()
    const first = (await gasOk(GAS, dir, ['log', '--json'])).versions[0].id
    writeFileSync(join(dir, 'art/a.txt'), 'changed\n')
    await gasOk(GAS, dir, ['add', 'art/a.txt'])
    const second = (await gasOk(GAS, dir, ['commit', '-m', 'two', '--json'])).version
    await gasOk(GAS, dir, ['tag', 'alpha', 'HEAD~1', '-m', 'first playable'])
    await gasOk(GAS, dir, ['tag', 'beta'])
    const tags = (await gasOk(GAS, dir, ['tag', '--json'])).tags
    expect(tags.map((t: { name: string, version: string, message: string }) => [t.name, t.version, t.message])).toEqual([['alpha', first, 'first playable'], ['beta', second, '']])
    expect(tags[0].id).not.toBe(first) // the tag object itself
    expect(await gasOk(GAS, dir, ['tag'])).toBe('alpha\nbeta\n') // text lists names, as git tag does
  })

  it('gas restore --out into a folder that does not exist fails saying so and creates nothing', async () => {
    const dir = await workspace()
    const r = await runGas(GAS, dir, ['restore', 'art/a.txt', '--out', 'missing/deeper/a.txt'])
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(/^gas: E_NOT_FOUND: folder .*missing\/deeper .*create it first/)
    expect(existsSync(join(dir, 'missing'))).toBe(false)
    writeFileSync(join(dir, 'plain'), '')
    expect((await runGas(GAS, dir, ['restore', 'art/a.txt', '--out', 'plain/a.txt'])).stderr).toMatch(/^gas: E_BAD_ARGUMENT: .*plain is not a folder/)
    mkdirSync(join(dir, 'out'))
    await gasOk(GAS, dir, ['restore', 'art/a.txt', '--out', 'out/a.txt'])
    expect(readFileSync(join(dir, 'out/a.txt'), 'utf8')).toBe('first\n')
  })
})

describe('team set-up', () => {
  it('gas team tracker refuses a URL --tracker would refuse; the no-tracker error names gas team tracker', async () => {
    const dir = tmp()
    await gasOk(GAS, dir, ['init', '--name', 'ana', '--team', 'orcs'])
    for (const bad of ['http://host:8000', 'host:8000', 'ws://', 'ws://bad host:1']) {
      const r = await runGas(GAS, dir, ['team', 'tracker', bad])
      expect(r.status).toBe(2)
      expect(r.stderr).toMatch(/^gas: E_BAD_ARGUMENT: tracker URL must be ws:\/\/HOST:PORT/)
      expect((await runGas(GAS, dir, ['sync', '--once', '--tracker', bad])).stderr).toMatch(/^gas: E_BAD_ARGUMENT: tracker URL must be ws:\/\/HOST:PORT/)
    }
    expect(JSON.parse(readFileSync(join(dir, '.gas/config.json'), 'utf8')).trackers).toEqual([])
    const none = await runGas(GAS, dir, ['sync', '--once'])
    expect(none.stderr).toMatch(/no tracker: .*`gas team tracker URL`/)
    expect(await gasOk(GAS, dir, ['team', 'tracker', 'ws://192.168.1.10:8000', '--json'])).toEqual({ trackers: ['ws://192.168.1.10:8000'] })
  })

  it('gas tracker binds to the host it is given; help says each default once and marks required options', async () => {
    const dir = tmp()
    const t = await startGasTracker(GAS, dir, ['--port', '0', '--host', '127.0.0.1'])
    children.push(t.child)
    expect(t.printed).toMatchObject({ host: '127.0.0.1', urls: [expect.stringMatching(/^ws:\/\/127\.0\.0\.1:\d+$/)] })
    const help = (await gasOk(GAS, dir, ['tracker', '--help']))
    expect(help).toMatch(/--port <n> +port \(default: 8000\)\n/)
    expect(help.match(/default/g)).toHaveLength(2)
    const restoreHelp = await gasOk(GAS, dir, ['restore', '--help'])
    expect(restoreHelp).toMatch(/REV~N \(default: HEAD\)/)
    expect(restoreHelp).not.toMatch(/default.*default/)
    const addHelp = await gasOk(GAS, dir, ['team', 'add', '--help'])
    expect(addHelp).toMatch(/--name <name> +member name \(required\)/)
    expect(addHelp).toMatch(/--out <invite> +invite file to write \(required\)/)
    expect(await gasOk(GAS, dir, ['sync', '--help'])).not.toContain('(default: [])')
  })
})
