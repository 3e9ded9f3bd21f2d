import { mkdirSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as gas from '../../src/index.js'
import { ArrivingFiles, ARRIVING_MIN_BYTES, type PreparedContent } from '../../src/repo/arriving-files.js'
import { contentToFetchFor } from '../../src/sync/fetch-plan.js'
import { writeRandomFile } from '../fixtures/project.js'
import { gasInProcess } from '../helpers/cli.js'
import { useTmp } from '../helpers/tmp.js'

/**
 * `gas fetch` of an asset the rules leave out, and `gas restore` of a version whose content is not
 * here, large enough to be written while its chunks arrive: the file is moved into place from
 * .gas/tmp, not written again from the store after the fetch (a 300 MiB fetch across network
 * namespaces spent 0.87 s doing that after its transfer).
 */
const tmp = useTmp()
let tracker: gas.RunningTracker
beforeAll(async () => { tracker = await gas.startTracker({ port: 0, host: '127.0.0.1' }) })
afterAll(async () => { await tracker.close() })

/** New random content for builds/NAME on the lead, committed and flushed (what its serve then offers). */
async function commitBuild (lea: gas.Workspace, name: string, size: number, seed: string): Promise<void> {
  await writeRandomFile(join(lea.root, 'builds', name), size, seed)
  await gas.add(lea, { paths: [join(lea.root, 'builds')] })
  await gas.commit(lea, { message: `builds: ${seed}` })
  await lea.store.flush()
}

describe('gas fetch and gas restore write large files while their chunks arrive', () => {
  it('the fetched file is the one assembled on arrival, identical to the lead\'s; nothing is left in .gas/tmp', async () => {
    const lea = await gas.init({ dir: tmp(), name: 'lea', team: 'orcs' })
    lea.config = { ...lea.config, trackers: [tracker.url] }
    await lea.saveConfig()
    mkdirSync(join(lea.root, 'builds'))
    const size = ARRIVING_MIN_BYTES + 3 * 1024 * 1024 + 17
    await writeRandomFile(join(lea.root, 'builds', 'game.pak'), size, 'fetch-arriving-1')
    await commitBuild(lea, 'patch.pak', size, 'fetch-arriving-2')
    const ana = await gas.init({ dir: tmp(), name: 'ana' })
    await gas.joinTeam(ana, JSON.stringify(await gas.createInvite(lea, { publicKey: ana.identity.publicKey, name: 'ana', roles: ['artist'] })))
    const controller = new AbortController()
    const serving = gas.servePeers({ ws: lea, trackers: [], security: gas.peerSecurity(lea), signal: controller.signal })
    try {
      // an artist's rules leave archives out: versions and records come, the builds do not
      const synced = await gas.sync({ ws: ana, trackers: [], security: gas.peerSecurity(ana), ...await gas.selectiveSyncOptions(ana), firstPeerWaitMs: 60_000 })
      expect(synced.checkout?.skipped.map((s) => s.path).sort()).toEqual(['builds/game.pak', 'builds/patch.pak'])

      // through the API: the caller's ArrivingFiles takes the file the fetch assembled
      const arriving = new ArrivingFiles(ana.fs, join(ana.gasDir, 'tmp'))
      const plan = await gas.planFetch(ana, { paths: ['builds/game.pak'] })
      await gas.fetchFromPeers({ ws: ana, trackers: [], security: gas.peerSecurity(ana), roots: plan.roots, arriving, firstPeerWaitMs: 60_000 })
      const taken: string[] = []
      const prepared: PreparedContent = { take: async (manifest, out) => await arriving.take(manifest, out) && taken.push(out) > 0 }
      expect(await gas.writeFetched(ana, plan, prepared)).toEqual({ written: ['builds/game.pak'], missing: [], skipped: [] })
      expect(taken).toEqual([join(ana.root, 'builds', 'game.pak')])
      await arriving.discard()
      expect(readFileSync(join(ana.root, 'builds', 'game.pak')).equals(readFileSync(join(lea.root, 'builds', 'game.pak')))).toBe(true)

      // through the CLI, as a person runs it: the same, and the workspace knows the file as fetched and unedited
      await ana.close()
      const cli = await gasInProcess(ana.root, ['fetch', 'builds/patch.pak'])
      expect(cli.status, cli.stderr).toBe(0)
      // who sent it and how fast, then the file written
      expect(cli.stdout).toMatch(/^fetched \d+ objects \(\d+(\.\d+)? MB\) from lea in \d+\.\d s \(\d+(\.\d+)? [kMG]?B\/s\)\n {2}builds\/patch\.pak\n$/)
      expect(readFileSync(join(ana.root, 'builds', 'patch.pak')).equals(readFileSync(join(lea.root, 'builds', 'patch.pak')))).toBe(true)
      expect(readdirSync(join(ana.gasDir, 'tmp'))).toEqual([])
      const status = JSON.parse((await gasInProcess(ana.root, ['status', '--json'])).stdout) as { modified?: unknown[], notFetched?: string[] }
      expect(JSON.stringify(status)).not.toContain('builds/patch.pak')

      // a restore of a version whose content is not here fetches it the same way, into --out
      await commitBuild(lea, 'game.pak', size + 4096, 'fetch-arriving-3')
      expect((await gasInProcess(ana.root, ['sync', '--once'])).status).toBe(0)
      const out = join(tmp(), 'game-2.pak')
      const restored = await gasInProcess(ana.root, ['restore', 'builds/game.pak', '--out', out, '--json'])
      expect(restored.status, restored.stderr).toBe(0)
      expect(readFileSync(out).equals(readFileSync(join(lea.root, 'builds', 'game.pak')))).toBe(true)
      expect(readdirSync(join(ana.gasDir, 'tmp'))).toEqual([])
      // through the API, what the restore command does: the file the fetch assembled is the one moved to --out
      await commitBuild(lea, 'game.pak', size + 8192, 'fetch-arriving-4')
      const again = await gas.open({ dir: ana.root })
      try {
        await gas.sync({ ws: again, trackers: [], security: gas.peerSecurity(again), ...await gas.selectiveSyncOptions(again), firstPeerWaitMs: 60_000 })
        const roots = await contentToFetchFor(again, { path: 'builds/game.pak', rev: 'HEAD' })
        expect(roots).toHaveLength(1)
        const fetching = new ArrivingFiles(again.fs, join(again.gasDir, 'tmp'))
        await gas.fetchFromPeers({ ws: again, trackers: [], security: gas.peerSecurity(again), roots, arriving: fetching, firstPeerWaitMs: 60_000 })
        const moved: string[] = []
        const out3 = join(tmp(), 'game-3.pak')
        await gas.restore(again, { path: 'builds/game.pak', rev: 'HEAD', out: out3, prepared: { take: async (manifest, to) => await fetching.take(manifest, to) && moved.push(to) > 0 } })
        await fetching.discard()
        expect(moved).toEqual([out3])
        expect(readFileSync(out3).equals(readFileSync(join(lea.root, 'builds', 'game.pak')))).toBe(true)
      } finally {
        await again.close()
      }
    } finally {
      controller.abort()
      await serving
    }
  }, 120_000)
})
