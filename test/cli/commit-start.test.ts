import { spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { GAS_BIN, gasSync } from '../helpers/cli.js'
import { useTmp } from '../helpers/tmp.js'

const tmp = useTmp()
const PROBE = resolve('test/helpers/module-probe.mjs')

describe('gas commit starts light', () => {
  it('loads none of date-fns (the lock formatter needs it, a commit with no locks does not)', () => {
    const root = tmp()
    const dir = join(root, 'ws')
    mkdirSync(dir)
    expect(gasSync(dir, ['init', '--name', 'ana']).status).toBe(0)
    writeFileSync(join(dir, 'data.bin'), Buffer.alloc(1000, 3))
    expect(gasSync(dir, ['add', 'data.bin']).status).toBe(0)
    const out = join(root, 'modules.txt')
    const r = spawnSync(process.execPath, ['--import', PROBE, GAS_BIN, 'commit', '-m', 'one'], { cwd: dir, encoding: 'utf8', env: { ...process.env, GAS_MODULE_PROBE_OUT: out } })
    expect(r.status).toBe(0)
    const modules = readFileSync(out, 'utf8').split('\n')
    expect(modules.some((m) => m.includes('date-fns-tz'))).toBe(true) // the probe sees the zone offset it does need
    expect(modules.filter((m) => /node_modules[/\\]date-fns[/\\]/.test(m))).toEqual([])
  })
})
