import { randomBytes } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as gas from '../../src/index.js'
import { startTracker, type RunningTracker } from '../../src/peer/discovery/tracker.js'
import { setSchedule } from '../../src/schedule/schedule-settings.js'
import { SETTINGS_POLL_MS } from '../../src/peer/transport/transfer-limits.js'
import { useTmp } from '../helpers/tmp.js'
import { gasRepo, gitEnv, gitOk, makeTeam } from './git-env.js'

const tmp = useTmp()
let tracker: RunningTracker
beforeAll(async () => { tracker = await startTracker({ port: 0, host: '127.0.0.1' }) })
afterAll(async () => { await tracker.close() })

describe("git over gas:// while the serve's transfer window is closed", () => {
  it('a clone says whose window holds the repository back and when it opens, at once; a pull once it is open brings it', async () => {
    const root = tmp()
    const { git } = gitEnv(join(root, 'home'))
    const ok = async (cwd: string, args: string[]): Promise<string> => (await gitOk(git)(cwd, args)).stdout
    const [ana, bo] = await makeTeam({ lead: join(root, 'ana-gas'), members: [join(root, 'bo-gas')] }, tracker.url)
    const anaRepo = await gasRepo(git, join(root, 'ana-repo'), ana.root)
    const level = randomBytes(80_000)
    writeFileSync(join(anaRepo, 'level.bin'), level)
    await ok(anaRepo, ['add', '.'])
    await ok(anaRepo, ['commit', '-qm', 'level'])
    await ok(anaRepo, ['push', '-q', 'origin', 'main'])
    // ana's only window is an hour on the other side of the clock, and nothing moves outside it
    const later = new Date(Date.now() + 12 * 3600_000)
    const hh = String(later.getUTCHours()).padStart(2, '0')
    await setSchedule(ana, { windows: [`daily ${hh}:00-${hh}:59 UTC`], outsideLimit: 0 })
    const stop = new AbortController()
    const serving = gas.servePeers({ ws: ana, trackers: [], security: gas.peerSecurity(ana), signal: stop.signal })
    try {
      const boRepo = join(root, 'bo-repo')
      const started = performance.now()
      const cloned = await git(root, ['clone', '-c', `gas.workspace=${bo.root}`, 'gas://orcs/game', boRepo])
      // it asked nothing the window holds back: no request waited out its timeout (30 s)
      expect(performance.now() - started).toBeLessThan(15_000)
      expect(cloned.status, cloned.stderr).toBe(0)
      expect(cloned.stderr).toContain(`gas: ana's state of game waits: ana's transfer window is closed (daily ${hh}:00-${hh}:59 UTC; it opens `)
      expect(cloned.stderr).toContain('run the command again then, or ask for a wider window (`gas schedule`)')
      expect(cloned.stderr).toContain("an empty repository until the peers' transfer windows open; then `git pull` brings it")
      expect(cloned.stderr).not.toContain('could not be fetched')

      // ana widens her schedule; her running serve follows it, and bo's pull brings the repository
      await setSchedule(ana, { windows: [] })
      await new Promise((resolve) => setTimeout(resolve, 2 * SETTINGS_POLL_MS))
      await ok(boRepo, ['pull', '-q', 'origin', 'main'])
      expect(readFileSync(join(boRepo, 'level.bin')).equals(level)).toBe(true)
      expect(await ok(boRepo, ['rev-parse', 'HEAD'])).toBe(await ok(anaRepo, ['rev-parse', 'HEAD']))
    } finally {
      stop.abort()
      await serving
      await ana.close()
      await bo.close()
    }
  }, 120_000)
})
