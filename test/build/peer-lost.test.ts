import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as gas from '../../src/index.js'
import { startTracker, type RunningTracker } from '../../src/peer/discovery/tracker.js'
import { gasSpawn } from '../helpers/cli.js'
import { useTmp } from '../helpers/tmp.js'
import { team, waits, writeBuildFolder } from './helpers.js'

/** The only serving peer dies (SIGKILL) mid-fetch: a typed error naming a file, the previous build at DIR intact, then a resume. */

const tmp = useTmp()
let tracker: RunningTracker
beforeAll(async () => { tracker = await startTracker({ port: 0, host: '127.0.0.1' }) })
afterAll(async () => { await tracker.close() })

const MiB = 1024 * 1024

function packBytes (ws: gas.Workspace): number {
  const dir = join(ws.gasDir, 'objects', 'pack')
  return readdirSync(dir).filter((n) => n.endsWith('.pack')).reduce((total, n) => total + statSync(join(dir, n)).size, 0)
}

describe('a serving peer lost mid-fetch (WebRTC)', () => {
  it('reports E_SYNC_INCOMPLETE naming a file, keeps the previous build at DIR, and resumes when a peer is back', async () => {
    const { lead, members: [qa] } = await team(tmp, tracker.url, ['qa'])
    writeBuildFolder(join(lead.root, 'v1'), { 'small.pak': 10_000 })
    await gas.publishBuild(lead, { dir: join(lead.root, 'v1'), name: 'big', version: '1' })
    writeBuildFolder(join(lead.root, 'v2'), { 'a.pak': 24 * MiB, 'b.pak': 24 * MiB })
    const v2 = await gas.publishBuild(lead, { dir: join(lead.root, 'v2'), name: 'big', version: '2' })
    const dest = join(tmp(), 'big')

    let server = gasSpawn(lead.root, ['serve'])
    try {
      await gas.fetchBuild({ ws: qa, spec: 'big@1', dir: dest, trackers: [], security: gas.peerSecurity(qa), ...waits })
      const before = packBytes(qa)
      let settled = false
      const fetching = gas.fetchBuild({ ws: qa, spec: 'big@2', dir: dest, trackers: [], security: gas.peerSecurity(qa), ...waits })
      void fetching.then(() => { settled = true }, () => { settled = true })
      while (!settled && packBytes(qa) - before < 8 * MiB) await new Promise((resolve) => setTimeout(resolve, 10))
      expect(settled).toBe(false)
      server.kill('SIGKILL')
      await expect(fetching).rejects.toMatchObject({ code: 'E_SYNC_INCOMPLETE', data: { path: expect.stringMatching(/^big@2\/[ab]\.pak$/) } })
      expect(await gas.verifyBuildFolder({ dir: dest })).toMatchObject({ ok: true, version: '1' })
      expect(readdirSync(join(dest, '..'))).toEqual(['big'])
      const arrived = packBytes(qa) - before

      server = gasSpawn(lead.root, ['serve'])
      const resumed = await gas.fetchBuild({ ws: qa, spec: 'big@2', dir: dest, trackers: [], security: gas.peerSecurity(qa), ...waits })
      expect(resumed.build).toBe(v2.build)
      expect(resumed.fetched.bytes).toBeLessThan(v2.bytes - arrived + 2 * MiB)
      expect(await gas.verifyBuildFolder({ dir: dest })).toMatchObject({ ok: true, version: '2' })
      expect(existsSync(join(dest, 'small.pak'))).toBe(false)
    } finally {
      if (server.exitCode === null && server.signalCode === null) {
        const exited = new Promise((resolve) => server.once('exit', resolve))
        server.kill('SIGTERM')
        await exited
      }
    }
  }, 180_000)
})
