import { randomBytes } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as gas from '../../src/index.js'
import { startTracker, type RunningTracker } from '../../src/peer/discovery/tracker.js'
import { useTmp } from '../helpers/tmp.js'
import { gasRepo, gitEnv, gitOk, makeTeam } from './git-env.js'

const tmp = useTmp()
let tracker: RunningTracker
beforeAll(async () => { tracker = await startTracker({ port: 0, host: '127.0.0.1' }) })
afterAll(async () => { await tracker.close() })

describe("a serve whose role's rules want none of a git repository's files", () => {
  it('keeps every state pushed to it whole: a clone gets it once the pusher is gone', async () => {
    const root = tmp()
    const { git } = gitEnv(join(root, 'home'))
    const ok = async (cwd: string, args: string[]): Promise<string> => (await gitOk(git)(cwd, args)).stderr
    // bo (artist: textures and models only) runs the team's serve; carl (artist) pushes; ana clones
    const [ana, bo, carl] = await makeTeam({ lead: join(root, 'ana-gas'), members: [join(root, 'bo-gas'), join(root, 'carl-gas')] }, tracker.url)
    const stop = new AbortController()
    const serving = gas.servePeers({ ws: bo, trackers: [], security: gas.peerSecurity(bo), signal: stop.signal, policy: async () => await gas.selectiveSyncOptions(bo) })
    try {
      const carlRepo = await gasRepo(git, join(root, 'carl-repo'), carl.root)
      const code = randomBytes(60_000)
      writeFileSync(join(carlRepo, 'engine.bin'), code)
      await ok(carlRepo, ['add', '.'])
      await ok(carlRepo, ['commit', '-qm', 'engine'])
      expect(await ok(carlRepo, ['push', 'origin', 'main'])).toContain('gas: game: bo took it')
      await carl.close()

      const anaRepo = join(root, 'ana-repo')
      const cloned = await git(root, ['clone', '-c', `gas.workspace=${ana.root}`, 'gas://orcs/game', anaRepo])
      expect(cloned.status, cloned.stderr).toBe(0)
      expect(cloned.stderr).not.toContain('could not be fetched')
      expect(readFileSync(join(anaRepo, 'engine.bin')).equals(code)).toBe(true)
    } finally {
      stop.abort()
      await serving
      await ana.close()
      await bo.close()
    }
  }, 120_000)
})
