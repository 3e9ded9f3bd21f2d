import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as gas from '../../src/index.js'
import { decodeFileManifest } from '../../src/objects/file-manifest.js'
import { readBuild } from '../../src/build/resolve-build.js'
import { startTracker, type RunningTracker } from '../../src/peer/discovery/tracker.js'
import { useTmp } from '../helpers/tmp.js'
import { serveProcess, team, waits, writeBuildFolder } from './helpers.js'

/**
 * Builds in a plain `gas sync` (metadata and refs, never content), and a fetch that could not get
 * everything: named, nothing at DIR changed, and the next fetch resumes from what arrived.
 */

const tmp = useTmp()
let tracker: RunningTracker
beforeAll(async () => { tracker = await startTracker({ port: 0, host: '127.0.0.1' }) })
afterAll(async () => { await tracker.close() })

const MiB = 1024 * 1024

describe('builds and sync (WebRTC)', () => {
  it('a plain sync adopts refs/builds with their metadata only and never moves one; a fetch missing chunks names the file and resumes', async () => {
    const { lead, members: [partial, qa] } = await team(tmp, tracker.url, ['partial', 'qa'])
    const out = join(lead.root, 'out')
    writeBuildFolder(out, { 'a.pak': 2 * MiB, 'b.pak': MiB, 'c.pak': 3 * MiB })
    const v1 = await gas.publishBuild(lead, { dir: out, name: 'game', version: '1' })
    const { build } = await readBuild(lead, v1.build)

    // `partial` holds a.pak and b.pak's bytes (its own scratch build) and claimed game@1 for itself first
    const scratch = join(partial.root, 'scratch')
    writeBuildFolder(scratch, { 'a.pak': readFileSync(join(out, 'a.pak')), 'b.pak': readFileSync(join(out, 'b.pak')) })
    await gas.publishBuild(partial, { dir: scratch, name: 'scratch', version: '1' })
    const own = await gas.publishBuild(partial, { dir: scratch, name: 'game', version: '2' })

    // each server a process of its own: peers of one process share one tracker socket, which blurs the swarm's count
    let stopLead = await serveProcess(lead.root)
    let stopPartial: (() => Promise<void>) | undefined
    try {
      const synced = await gas.sync({ ws: partial, trackers: [], security: gas.peerSecurity(partial), ...waits })
      expect(synced.refs.find((r) => r.ref === 'refs/builds/game/1')?.action).toBe('created')
      expect(await partial.refs.read('refs/builds/game/1')).toBe(v1.build)
      // metadata came (the build and every manifest), content did not: c.pak's chunks stay with the lead
      const c = build.files.find((f) => f.path === 'c.pak')!
      for (const f of build.files) expect(await partial.store.has(f.file)).toBe(true)
      for (const chunk of decodeFileManifest((await partial.store.get(c.file)).body).chunks) expect(await partial.store.has(chunk.id)).toBe(false)
      expect(synced.fetched.bytes).toBeLessThan(MiB / 10)
      expect((await gas.listBuilds(partial, { name: 'game' })).map((b) => b.local)).toEqual([true, false])

      // the lead's game@2 differs from partial's own: partial keeps its own, the conflict is reported
      const out2 = join(lead.root, 'out2')
      writeBuildFolder(out2, { 'd.pak': 100_000 })
      const v2 = await gas.publishBuild(lead, { dir: out2, name: 'game', version: '2' })
      const again = await gas.sync({ ws: partial, trackers: [], security: gas.peerSecurity(partial), ...waits })
      expect(again.conflicts).toEqual([expect.objectContaining({ ref: 'refs/builds/game/2', local: own.build, remote: v2.build })])
      expect(await partial.refs.read('refs/builds/game/2')).toBe(own.build)

      // qa has game@2 (the lead's) at DIR; game@1 is then fetched while only `partial` is online
      const dest = join(tmp(), 'game')
      await gas.fetchBuild({ ws: qa, spec: v2.build, dir: dest, trackers: [], security: gas.peerSecurity(qa), ...waits })
      await stopLead()
      stopPartial = await serveProcess(partial.root)
      const failed = gas.fetchBuild({ ws: qa, spec: 'game@1', dir: dest, trackers: [], security: gas.peerSecurity(qa), ...waits })
      await expect(failed).rejects.toMatchObject({ code: 'E_SYNC_INCOMPLETE', data: { path: 'game@1/c.pak' } })
      const kept = await gas.verifyBuildFolder({ dir: dest })
      expect(kept).toMatchObject({ ok: true, build: v2.build })

      // the lead is back: only c.pak's bytes travel, the rest arrived before
      stopLead = await serveProcess(lead.root, 'partial')
      const resumed = await gas.fetchBuild({ ws: qa, spec: 'game@1', dir: dest, trackers: [], security: gas.peerSecurity(qa), ...waits })
      expect(resumed.fetched.bytes).toBeGreaterThanOrEqual(3 * MiB)
      expect(resumed.fetched.bytes).toBeLessThan(3.1 * MiB)
      expect(await gas.verifyBuildFolder({ dir: dest })).toMatchObject({ ok: true, build: v1.build })
    } finally {
      await stopPartial?.()
      await stopLead()
    }
  }, 120_000)
})
