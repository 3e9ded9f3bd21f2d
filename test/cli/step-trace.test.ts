import { spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { formatTimeline, traceEvents } from '../../bench/trace-timeline.js'
import { GAS_BIN } from '../helpers/cli.js'
import { useTmp } from '../helpers/tmp.js'

const tmp = useTmp()
const PROBE = resolve('test/helpers/module-probe.mjs')

function gas (cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): { status: number, stderr: string } {
  const r = spawnSync(process.execPath, [GAS_BIN, ...args], { cwd, encoding: 'utf8', env: { ...process.env, GAS_TRACE: '', ...env } })
  return { status: r.status ?? -1, stderr: r.stderr }
}

describe('GAS_TRACE=1: the steps of a command, for the end-to-end timeline', () => {
  it('gas add and gas commit mark each step in order on stderr, with stamps that line up across processes; without it nothing is printed', () => {
    const dir = join(tmp(), 'ws')
    mkdirSync(dir)
    expect(gas(dir, ['init', '--name', 'ana']).status).toBe(0)
    writeFileSync(join(dir, 'a.bin'), Buffer.alloc(300_000, 7))
    const before = Date.now()
    const add = gas(dir, ['add', 'a.bin'], { GAS_TRACE: '1' })
    const commit = gas(dir, ['commit', '-m', 'one'], { GAS_TRACE: '1' })
    expect([add.status, commit.status]).toEqual([0, 0])
    const events = [...traceEvents('add', add.stderr), ...traceEvents('commit', commit.stderr)]
    expect(events.map((e) => `${e.who} ${e.label}`)).toEqual([
      'add start add', 'add command module loaded', 'add workspace open', 'add add: start', 'add add: walked', 'add add: ingested a.bin',
      'add add: settled', 'add add: flushed', 'add add: index written', 'add workspace closed', 'add command done',
      'commit start commit', 'commit command module loaded', 'commit workspace open', 'commit commit: locked', 'commit commit: tree written',
      'commit commit: version written', 'commit commit: ref moved', 'commit commit: index written', 'commit workspace closed', 'commit command done'
    ])
    // epoch stamps: the commit's steps come after the add's, all within this test's time
    for (let i = 1; i < events.length; i++) expect(events[i].at).toBeGreaterThanOrEqual(events[i - 1].at)
    expect(events[0].at).toBeGreaterThanOrEqual(before - 1)
    expect(events.at(-1)!.at).toBeLessThanOrEqual(Date.now() + 1)
    const timeline = formatTimeline(before, events)
    expect(timeline).toHaveLength(events.length)
    expect(timeline[0]).toMatch(/^\s+\d+\.\d{3}\s+\+\d+ {2}add {4}start add$/)

    writeFileSync(join(dir, 'b.bin'), Buffer.alloc(1000, 8))
    const quiet = gas(dir, ['add', 'b.bin'])
    expect(quiet.status).toBe(0)
    expect(quiet.stderr).not.toContain('gas-trace')
  })

  it('the sync and serve modules load no date-fns: a workspace without transfer windows never reads a zone\'s clock', () => {
    const root = tmp()
    const out = join(root, 'modules.txt')
    const r = spawnSync(process.execPath, ['--import', PROBE, '--input-type=module', '-e', `await import(${JSON.stringify(resolve('dist/src/peer/sync/peer-node.js'))})`], { encoding: 'utf8', env: { ...process.env, GAS_MODULE_PROBE_OUT: out } })
    expect(r.status).toBe(0)
    const loaded = readFileSync(out, 'utf8')
    // the probe sees the peer layer's own packages, so an empty answer below is not a blind probe
    expect(loaded).toContain('bittorrent-tracker')
    expect(loaded).not.toContain('date-fns')
  })
})
