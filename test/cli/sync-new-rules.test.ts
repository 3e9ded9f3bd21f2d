import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { ChildProcess } from 'node:child_process'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { gasOk, startGas, startGasTracker, startServe, stopGas, syncUntilPeer, type GasCommand } from '../helpers/cli-team.js'
import { useTmp } from '../helpers/tmp.js'

const GAS: GasCommand = () => [process.execPath, resolve('bin/gas')]
const tmp = useTmp()
const children: ChildProcess[] = []
afterEach(async () => { for (const c of children.splice(0)) await stopGas(c) })

describe('gas sync that brings new rules', () => {
  it('fetches what the new .gasrules wants in the same run (it took a second `gas sync`), and names who carried it', async () => {
    const root = tmp()
    const tracker = await startGasTracker(GAS, root, ['--host', '127.0.0.1', '--port', '0'])
    children.push(tracker.child)
    const ana = join(root, 'ana')
    const bo = join(root, 'bo')
    for (const d of [ana, bo]) (await import('node:fs')).mkdirSync(d)
    await gasOk(GAS, ana, ['init', '--name', 'ana', '--team', 'orcs'])
    await gasOk(GAS, ana, ['team', 'tracker', tracker.printed.url])
    await gasOk(GAS, bo, ['init', '--name', 'bo'])
    const me = await gasOk(GAS, bo, ['whoami', '--json'])
    await gasOk(GAS, ana, ['team', 'add', me.publicKey, '--name', 'bo', '--role', 'artist', '--out', join(root, 'bo.invite')])
    await gasOk(GAS, bo, ['team', 'join', join(root, 'bo.invite')])

    // notes.txt is nothing an artist's preset wants
    writeFileSync(join(ana, 'notes.txt'), 'level design notes\n')
    writeFileSync(join(ana, '.gasrules'), '# team rules\n')
    await gasOk(GAS, ana, ['add', '.'])
    await gasOk(GAS, ana, ['commit', '-m', 'notes'])
    children.push(await startServe(GAS, ana, {}, [], 'announced to'))
    const first = await syncUntilPeer(GAS, bo)
    expect(first.status, first.stderr).toBe(0)
    expect(existsSync(join(bo, 'notes.txt'))).toBe(false)
    expect(first.json.routes[0].member).toBe('ana')

    // the lead gives artists the notes: one sync brings the rules and the file they now want
    writeFileSync(join(ana, '.gasrules'), '# team rules\n[role artist]\ninclude notes.txt\n')
    await gasOk(GAS, ana, ['add', '.gasrules'])
    await gasOk(GAS, ana, ['commit', '-m', 'artists read the notes'])
    const second = await syncUntilPeer(GAS, bo)
    expect(second.status, second.stderr).toBe(0)
    expect(readFileSync(join(bo, 'notes.txt'), 'utf8')).toBe('level design notes\n')
    expect(second.json.checkout.written).toEqual(expect.arrayContaining(['.gasrules', 'notes.txt']))
    expect(second.json.skipped).toEqual([])
    expect(second.json.complete).toBe(true)
    const status = await gasOk(GAS, bo, ['status', '--json'])
    expect(status.notFetched).toEqual([])
    expect(status.modified).toEqual([])

    // text output: the carrier by name, a skipped path said once, and of many skipped by the rules the first ten
    for (let i = 10; i < 22; i++) writeFileSync(join(ana, `todo${i}.txt`), 'later\n')
    await gasOk(GAS, ana, ['add', '.'])
    await gasOk(GAS, ana, ['commit', '-m', 'todo'])
    const text = await gasOk(GAS, bo, ['sync', '--once'])
    expect(text).toMatch(/\n {2}ana via tcp direct: /)
    expect(text).toContain('  skipped todo10.txt: (document, 6 B) matches no rule of role artist')
    expect(text.match(/ {2}skipped todo/g)).toHaveLength(10)
    expect(text).toContain('  and 2 more your rules leave on the peers (`gas ls` marks them "not fetched"; --json lists every one)')

    // bo commits: a sync with ana's serve says who has it now (the serve takes it), not a bare "ahead"
    writeFileSync(join(bo, 'sketch.txt'), 'idea\n')
    await gasOk(GAS, bo, ['add', 'sketch.txt'])
    await gasOk(GAS, bo, ['commit', '-m', 'sketch'])
    expect(await gasOk(GAS, bo, ['sync', '--once'])).toContain('\n  refs/heads/main: ana took it (ahead of theirs)\n')

    // both committed: the sync merges, and says the workspace is at the merge (it named bo's version before it)
    writeFileSync(join(ana, 'plan.txt'), 'plan\n')
    await gasOk(GAS, ana, ['add', 'plan.txt'])
    await gasOk(GAS, ana, ['commit', '-m', 'plan'])
    writeFileSync(join(bo, 'sketch2.txt'), 'another idea\n')
    await gasOk(GAS, bo, ['add', 'sketch2.txt'])
    await gasOk(GAS, bo, ['commit', '-m', 'sketch 2'])
    const merged = await gasOk(GAS, bo, ['sync', '--once'])
    const mergeId = /merged ana's main as ([0-9a-f]{12})/.exec(merged)?.[1]
    expect(mergeId, merged).toBeDefined()
    expect(merged).toContain(`workspace now at ${mergeId as string}:`)
    expect(merged).toContain('  refs/heads/main diverged from ana: theirs recorded as refs/remotes/ana/heads/main\n')
    expect(merged).not.toContain('refs/heads/main: conflict')

    // without --once: it says it keeps going; with --json, one JSON line per round
    for (const json of [false, true]) {
      const child = startGas(GAS, bo, ['sync', ...(json ? ['--json'] : [])])
      children.push(child)
      let out = ''
      let err = ''
      child.stdout?.on('data', (d: Buffer) => { out += d.toString() })
      child.stderr?.on('data', (d: Buffer) => { err += d.toString() })
      await vi.waitFor(() => expect(json ? out : err).toMatch(json ? /\n/ : /syncing again every 30 s until Ctrl-C/), { timeout: 60_000, interval: 100 })
      await stopGas(child)
      if (json) {
        expect(out.trim().split('\n')).toHaveLength(1)
        expect(JSON.parse(out).complete).toBe(true)
        expect(err).not.toContain('syncing again')
      }
    }
  }, 120_000)
})
