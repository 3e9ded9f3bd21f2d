import { randomBytes } from 'node:crypto'
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as gas from '../../src/index.js'
import { startTracker, type RunningTracker } from '../../src/peer/discovery/tracker.js'
import { useTmp } from '../helpers/tmp.js'
import { gasAsync, serveProcess, team, writeBuildFolder } from './helpers.js'

/**
 * The critical scenario on real WebRTC on 127.0.0.1, each member a `gas` process of its own: the
 * lead publishes and serves, two testers fetch through peers (the second from the lead and the
 * first at once), both verify identical; the next build with a few files changed costs about those
 * files; a tampered file is named by verify.
 */

interface Fetched { build: string, files: number, merkleRoot: string, peers: string[], fromPeers: Array<{ name: string, bytes: number }>, fetched: { bytes: number }, wire: { received: number } }

async function fetchCli (cwd: string, spec: string, dir: string): Promise<Fetched> {
  const r = await gasAsync(cwd, ['build', 'fetch', spec, dir, '--json', '--wait', '30'])
  expect(r.stderr).toBe('')
  expect(r.status).toBe(0)
  return JSON.parse(r.stdout) as Fetched
}

const tmp = useTmp()
let tracker: RunningTracker
beforeAll(async () => { tracker = await startTracker({ port: 0, host: '127.0.0.1' }) })
afterAll(async () => { await tracker.close() })

const MiB = 1024 * 1024

describe('build distribution through peers (WebRTC)', () => {
  it('publish → two testers fetch (one also from the other) → identical → next build costs its changed bytes → tamper named', async () => {
    const { lead, members: [qa1, qa2] } = await team(tmp, tracker.url, ['qa1', 'qa2'])
    const out = join(lead.root, 'out')
    writeBuildFolder(out, { 'game.exe': 200_000, 'Data/level1.pak': 3 * MiB, 'Data/level2.pak': 2 * MiB, 'Data/ui.pak': 500_000 })
    const v1 = await gas.publishBuild(lead, { dir: out, name: 'game', version: '1.0.0', platform: 'win64' })
    expect(v1.files).toBe(4)

    const stopLead = await serveProcess(lead.root)
    let stopQa1: (() => Promise<void>) | undefined
    try {
      const dir1 = join(tmp(), 'game')
      const got1 = await fetchCli(qa1.root, 'game@1.0.0', dir1)
      expect(got1).toMatchObject({ build: v1.build, files: 4, merkleRoot: v1.merkleRoot, peers: ['lead'] })
      // the content came over the wire: at least the build's bytes (chunks of random data do not compress)
      expect(got1.fetched.bytes).toBeGreaterThanOrEqual(v1.bytes)
      expect(await qa1.refs.read('refs/builds/game/1.0.0')).toBe(v1.build)

      stopQa1 = await serveProcess(qa1.root, 'lead')
      const dir2 = join(tmp(), 'game')
      const got2 = await fetchCli(qa2.root, 'game@1.0.0', dir2)
      expect(got2.build).toBe(v1.build)
      expect(got2.peers.sort()).toEqual(['lead', 'qa1'])
      // both peers held every chunk: the swarm asked each of them for some
      for (const peer of got2.fromPeers) expect(peer.bytes).toBeGreaterThan(0)

      for (const dir of [dir1, dir2]) {
        const verified = await gas.verifyBuildFolder({ dir })
        expect(verified).toMatchObject({ ok: true, build: v1.build, mismatches: [], missing: [], extra: [] })
        for (const path of ['game.exe', 'Data/level1.pak', 'Data/level2.pak', 'Data/ui.pak']) {
          expect(readFileSync(join(dir, path)).equals(readFileSync(join(out, path)))).toBe(true)
        }
      }

      // build 1.0.1: one file replaced, one new, the others unchanged
      writeFileSync(join(out, 'Data/ui.pak'), randomBytes(400_000))
      writeFileSync(join(out, 'Data/patch.pak'), randomBytes(100_000))
      const v2 = await gas.publishBuild(lead, { dir: out, name: 'game', version: '1.0.1', deps: ['game@1.0.0'] })
      const changed = 500_000
      const diff = await gas.diffBuilds(lead, { from: 'game@1.0.0', to: 'game@1.0.1' })
      expect(diff.added).toEqual([{ path: 'Data/patch.pak', size: 100_000 }])
      expect(diff.changed).toEqual([{ path: 'Data/ui.pak', fromSize: 500_000, size: 400_000 }])
      expect(diff.fetchBytes).toBe(changed)
      await stopQa1()
      stopQa1 = undefined
      const got3 = await fetchCli(qa1.root, 'game@1.0.1', dir1)
      expect(got3.build).toBe(v2.build)
      // the changed bytes plus a little metadata (the build object and two manifests), not the whole build
      expect(got3.fetched.bytes).toBeGreaterThanOrEqual(changed)
      expect(got3.fetched.bytes).toBeLessThan(changed * 1.1)
      expect(got3.wire.received).toBeLessThan(changed * 1.1)
      expect((await gas.verifyBuildFolder({ dir: dir1 })).ok).toBe(true)
      expect(readFileSync(join(dir1, 'Data/patch.pak')).equals(readFileSync(join(out, 'Data/patch.pak')))).toBe(true)

      // a tester's copy altered on disk: verify names the file, offline
      appendFileSync(join(dir2, 'Data/level2.pak'), 'cheat')
      const tampered = await gas.verifyBuildFolder({ dir: dir2 })
      expect(tampered.ok).toBe(false)
      expect(tampered.mismatches.map((m) => m.path)).toEqual(['Data/level2.pak'])
    } finally {
      await stopQa1?.()
      await stopLead()
    }
  }, 120_000)
})
