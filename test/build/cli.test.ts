import { appendFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTracker, type RunningTracker } from '../../src/peer/discovery/tracker.js'
import { gasInProcess as gas, gasSpawn, gasSync } from '../helpers/cli.js'
import { useTmp } from '../helpers/tmp.js'
import { team, writeBuildFolder } from './helpers.js'

/** `gas build …` as a user runs it: the lead's `gas serve` a real process, JSON shapes of CLI.md. */

const tmp = useTmp()
const json = (r: { stdout: string }): any => JSON.parse(r.stdout)
let tracker: RunningTracker
beforeAll(async () => { tracker = await startTracker({ port: 0, host: '127.0.0.1' }) })
afterAll(async () => { await tracker.close() })

describe('gas build CLI', () => {
  it('publish, list, diff; a tester fetches from the lead\'s gas serve and verifies; a tampered file exits 1 naming it', async () => {
    const { lead, members: [qa] } = await team(tmp, tracker.url, ['qa'])
    const out = join(lead.root, 'Builds')
    writeBuildFolder(out, { 'Game.exe': 30_000, 'Game_Data/level0': 400_000 })
    writeFileSync(join(lead.root, 'Orcs.uproject'), JSON.stringify({ EngineAssociation: '5.4' }))
    const published = json(await gas(lead.root, ['build', 'publish', 'Builds', '--name', 'orcs', '--version', '0.9.0', '--platform', 'win64', '--json']))
    expect(Object.keys(published)).toEqual(expect.arrayContaining(['build', 'files', 'merkleRoot']))
    expect(published).toMatchObject({ files: 2, unchanged: false })
    expect((await gas(lead.root, ['build', 'publish', 'Builds', '--name', 'orcs', '--version', '0.9.0'])).stdout).toContain('already published orcs@0.9.0')
    appendFileSync(join(out, 'Game.exe'), 'x')
    const other = await gas(lead.root, ['build', 'publish', 'Builds', '--name', 'orcs', '--version', '0.9.0'])
    expect(other.status).toBe(1)
    expect(other.stderr).toMatch(/^gas: E_BUILD_EXISTS: orcs@0.9.0 is already published/)
    // an asset version the build depends on (a shader cache, say), named by its id
    writeBuildFolder(join(lead.root, 'cache'), { 'shaders.bin': 200_000 })
    const asset = json(await gas(lead.root, ['add', 'cache', '--json'])).added[0].asset as string
    const second = json(await gas(lead.root, ['build', 'publish', 'Builds', '--name', 'orcs', '--version', '0.9.1', '--dep', 'orcs@0.9.0', '--dep', asset, '--engine', 'unreal@5.4.1', '--json']))
    const listed = json(await gas(lead.root, ['build', 'list', 'orcs', '--json'])).builds
    expect(listed.map((b: any) => b.version).sort()).toEqual(['0.9.0', '0.9.1'])
    expect(listed.find((b: any) => b.version === '0.9.0')).toMatchObject({ engine: 'unreal@5.4', platform: 'win64', publisher: { name: 'lead' }, files: 2, size: 430_000 })
    expect(listed.find((b: any) => b.version === '0.9.1').engine).toBe('unreal@5.4.1')
    expect((await gas(lead.root, ['build', 'list'])).stdout).toContain('orcs@0.9.1')
    const diff = json(await gas(lead.root, ['build', 'diff', 'orcs@0.9.0', 'orcs@0.9.1', '--json']))
    expect(diff).toMatchObject({ added: [], removed: [], changed: [{ path: 'Game.exe', fromSize: 30_000, size: 30_001 }], unchanged: 1 })
    expect(diff.fetchBytes).toBeGreaterThan(0)
    expect(diff.fetchBytes).toBeLessThanOrEqual(30_001)
    expect((await gas(lead.root, ['build', 'diff', 'orcs@0.9.0', second.build])).stdout).toContain('M Game.exe')

    const server = gasSpawn(lead.root, ['serve'])
    const wait = ['--wait', '30']
    try {
      const dest = join(tmp(), 'orcs')
      const fetched = await gas(qa.root, ['build', 'fetch', 'orcs@0.9.1', dest, '--json', ...wait])
      expect(fetched.stderr).toBe('')
      const result = json(fetched)
      expect(Object.keys(result)).toEqual(expect.arrayContaining(['build', 'files', 'bytes', 'fetched', 'merkleRoot']))
      expect(result).toMatchObject({ build: second.build, files: 2, bytes: 430_001, merkleRoot: second.merkleRoot, peers: ['lead'] })
      expect(result.fetched.bytes).toBeGreaterThanOrEqual(430_001)
      expect((await gas(qa.root, ['build', 'fetch', 'orcs@0.9.1', dest, ...wait])).stdout).toContain('verified in')
      const withDeps = json(await gas(qa.root, ['build', 'fetch', 'orcs@0.9.1', join(tmp(), 'orcs'), '--with-deps', '--json', ...wait]))
      expect(withDeps.dependencies).toEqual([expect.objectContaining({ name: 'orcs@0.9.0', dir: expect.stringContaining('orcs@0.9.0') }), { name: asset, id: asset, dir: null }])
      // the asset's content came into the tester's store
      expect(withDeps.fetched.bytes).toBeGreaterThan(200_000)
      expect(gasSync(qa.root, ['build', 'verify', withDeps.dependencies[0].dir, '--json']).status).toBe(0)

      const verified = gasSync(tmp(), ['build', 'verify', dest, '--json'])
      expect(verified.status).toBe(0)
      expect(json(verified)).toEqual({ ok: true, build: second.build, name: 'orcs', version: '0.9.1', mismatches: [], missing: [], extra: [] })
      appendFileSync(join(dest, 'Game_Data', 'level0'), 'patched')
      const bad = gasSync(tmp(), ['build', 'verify', dest, '--json'])
      expect(bad.status).toBe(1)
      expect(json(bad).mismatches.map((m: any) => m.path)).toEqual(['Game_Data/level0'])
      expect(gasSync(tmp(), ['build', 'verify', dest]).stdout).toContain('changed: Game_Data/level0')
    } finally {
      server.kill('SIGTERM')
      await new Promise((resolve) => server.once('exit', resolve))
    }
  }, 120_000)

  it('usage errors exit 2; unknown builds and folders are named', async () => {
    const dir = tmp()
    expect((await gas(dir, ['init', '--name', 'ana', '--team', 'orcs'])).status).toBe(0)
    const noVersion = await gas(dir, ['build', 'publish', '.', '--name', 'x'])
    expect(noVersion.status).toBe(2)
    const badSpec = await gas(dir, ['build', 'diff', 'orcs', 'orcs@1'])
    expect(badSpec.status).toBe(2)
    expect(badSpec.stderr).toContain('NAME@VERSION')
    const unknown = await gas(dir, ['build', 'diff', 'orcs@1', 'orcs@2', '--json'])
    expect(unknown.status).toBe(1)
    expect(JSON.parse(unknown.stderr).error.code).toBe('E_NOT_FOUND')
    expect((await gas(dir, ['build', 'verify', dir])).stderr).toMatch(/^gas: E_NOT_FOUND: .*\.gas-build\.json/)
    expect((await gas(dir, ['build', 'publish', 'nope', '--name', 'x', '--version', '1'])).stderr).toMatch(/^gas: E_NOT_FOUND: build folder nope/)
    expect((await gas(dir, ['build', 'fetch', 'x@1', 'out', '--wait', 'soon'])).status).toBe(2)
  })
})
