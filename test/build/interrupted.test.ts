import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as gas from '../../src/index.js'
import { startTracker, type RunningTracker } from '../../src/peer/discovery/tracker.js'
import { gasInProcess, gasSpawn } from '../helpers/cli.js'
import { useTmp } from '../helpers/tmp.js'
import { serve, team, waits, writeBuildFolder } from './helpers.js'

/** A `gas build fetch` process killed mid-transfer: nothing at DIR, and the next fetch asks only for what is missing. */

const tmp = useTmp()
let tracker: RunningTracker
beforeAll(async () => { tracker = await startTracker({ port: 0, host: '127.0.0.1' }) })
afterAll(async () => { await tracker.close() })

const MiB = 1024 * 1024

function packBytes (ws: gas.Workspace): number {
  const dir = join(ws.gasDir, 'objects', 'pack')
  return readdirSync(dir).filter((n) => n.endsWith('.pack')).reduce((total, n) => total + statSync(join(dir, n)).size, 0)
}

describe('interrupted build fetch (WebRTC)', () => {
  it('SIGKILL mid-fetch leaves DIR untouched; the next fetch resumes from the chunks that arrived', async () => {
    const { lead, members: [qa] } = await team(tmp, tracker.url, ['qa'])
    const out = join(lead.root, 'out')
    writeBuildFolder(out, { 'a.pak': 24 * MiB, 'b.pak': 24 * MiB })
    const published = await gas.publishBuild(lead, { dir: out, name: 'big', version: '1' })
    const stop = serve(lead)
    try {
      const dest = join(tmp(), 'big')
      const before = packBytes(qa)
      const child = gasSpawn(qa.root, ['build', 'fetch', 'big@1', dest, '--json', '--wait', '30'])
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
      // kill once a sixth of the content has reached the tester's store
      let done = false
      void exited.then(() => { done = true })
      while (!done && packBytes(qa) - before < 8 * MiB) await new Promise((resolve) => setTimeout(resolve, 10))
      expect(done).toBe(false)
      child.kill('SIGKILL')
      await exited
      expect(existsSync(dest)).toBe(false)
      const arrived = packBytes(qa) - before

      const resumed = await gasInProcess(qa.root, ['build', 'fetch', 'big@1', dest, '--json', '--wait', String(waits.firstPeerWaitMs / 1000)])
      expect(resumed.stderr).toBe('')
      const result = JSON.parse(resumed.stdout) as { build: string, fetched: { bytes: number } }
      expect(result.build).toBe(published.build)
      // what arrived before the kill is not asked again (a few chunks in flight may be)
      expect(result.fetched.bytes).toBeLessThan(published.bytes - arrived + 2 * MiB)
      expect((await gas.verifyBuildFolder({ dir: dest })).ok).toBe(true)
      // nothing temporary is left beside it
      expect(readdirSync(join(dest, '..'))).toEqual(['big'])
    } finally {
      await stop()
    }
  }, 120_000)
})
