import { randomBytes } from 'node:crypto'
import { writeFileSync } from 'node:fs'
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

describe('git clone by a member who just joined, from a serve that keeps only the newest files', () => {
  it("gets the repository a teammate pushed twice: the pusher's certificate comes with the clone, older states' files are not asked for", async () => {
    const root = tmp()
    const { git } = gitEnv(join(root, 'home'))
    const ok = async (cwd: string, args: string[]): Promise<string> => (await gitOk(git)(cwd, args)).stdout
    const [ana, bo, carl] = await makeTeam({ lead: join(root, 'ana-gas'), members: [join(root, 'bo-gas'), join(root, 'carl-gas')] }, tracker.url)
    // bo pushes twice while nobody serves: both states stay on bo's machine
    const boRepo = await gasRepo(git, join(root, 'bo-repo'), bo.root)
    for (const name of ['one.bin', 'two.bin']) {
      writeFileSync(join(boRepo, name), randomBytes(50_000))
      await ok(boRepo, ['add', name])
      await ok(boRepo, ['commit', '-qm', name])
      await ok(boRepo, ['push', '-q', 'origin', 'main'])
    }
    // ana serves as `gas serve` does by default: the content of the versions the refs name, not of older ones
    const stop = new AbortController()
    const serving = gas.servePeers({ ws: ana, trackers: [], security: gas.peerSecurity(ana), signal: stop.signal, policy: async () => ({ contentOfHistory: false }) })
    try {
      const synced = await gas.sync({ ws: bo, trackers: [], security: gas.peerSecurity(bo) })
      expect(synced.peers).toBe(1)
      for (let i = 0; i < 100 && await ana.refs.read('refs/git/game') !== await bo.refs.read('refs/git/game'); i++) await new Promise((resolve) => setTimeout(resolve, 100))
      expect(await ana.refs.read('refs/git/game')).toBe(await bo.refs.read('refs/git/game'))
      await bo.close()
      // carl joined and clones at once: it has never synced, and knows only its own invite
      const carlRepo = join(root, 'carl-repo')
      const cloned = await git(root, ['clone', '-q', '-c', `gas.workspace=${carl.root}`, 'gas://orcs/game', carlRepo])
      expect(cloned.status, cloned.stderr).toBe(0)
      expect(cloned.stderr).not.toContain('could not be fetched')
      expect(cloned.stderr).not.toContain('refused')
      expect(await ok(carlRepo, ['rev-parse', 'HEAD'])).toBe(await ok(boRepo, ['rev-parse', 'HEAD']))
      await ok(carlRepo, ['fsck', '--strict'])
    } finally {
      stop.abort()
      await serving
      await ana.close()
      await carl.close()
    }
  }, 120_000)
})
