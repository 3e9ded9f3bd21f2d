import { randomBytes } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as gas from '../../src/index.js'
import { startTracker, type RunningTracker } from '../../src/peer/discovery/tracker.js'
import { useTmp } from '../helpers/tmp.js'
import { GAS_BIN } from '../helpers/cli.js'
import { gitEnv, makeTeam, run, serve } from './git-env.js'

const tmp = useTmp()
let tracker: RunningTracker
beforeAll(async () => { tracker = await startTracker({ port: 0, host: '127.0.0.1' }) })
afterAll(async () => { await tracker.close() })

describe('git-remote-gas: git clone, push and fetch over gas:// (real git)', () => {
  it('clones, pushes from one clone, fetches in another with identical histories, and refuses a non-fast-forward push', async () => {
    const root = tmp()
    const { git, env } = gitEnv(join(root, 'home'))
    const anaGas = join(root, 'ana-gas')
    const boGas = join(root, 'bo-gas')
    const [ana, bo, carl] = await makeTeam({ lead: anaGas, members: [boGas, join(root, 'carl-gas')] }, tracker.url)
    const ok = async (cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> => {
      const r = await git(cwd, args, { env })
      expect(r.status, `git ${args.join(' ')}: ${r.stderr}`).toBe(0)
      return r.stdout.trim()
    }

    // ana's project: a few commits, pushed to the team's gas remote
    const anaRepo = join(root, 'ana-repo')
    mkdirSync(join(anaRepo, 'src'), { recursive: true })
    await ok(anaRepo, ['init', '-q'])
    await ok(anaRepo, ['config', 'gas.workspace', anaGas])
    // binaries in LFS, through gas, as the README's "from scratch" sets it up (git-lfs installed for the user, as `git lfs install` does)
    await ok(root, ['lfs', 'install', '--skip-repo'])
    expect((await run(process.execPath, [GAS_BIN, 'hook', 'install', '--lfs'], { cwd: anaRepo, env })).status).toBe(0)
    await ok(anaRepo, ['lfs', 'track', '*.bin'])
    const level = randomBytes(400_000)
    writeFileSync(join(anaRepo, 'level.bin'), level)
    for (let i = 0; i < 3; i++) {
      writeFileSync(join(anaRepo, 'src', `file${i}.txt`), `line ${i}\n`.repeat(100 + i))
      await ok(anaRepo, ['add', '.'])
      await ok(anaRepo, ['commit', '-qm', `commit ${i}`])
    }
    await ok(anaRepo, ['remote', 'add', 'team', 'gas://orcs/game'])
    // git-lfs takes gas://orcs/game for an SSH address (host "gas"); the helper points the remote's LFS URL elsewhere
    const pushed = await git(anaRepo, ['push', 'team', 'main'], { env: { GIT_TRACE: '1' } })
    expect(pushed.status, pushed.stderr).toBe(0)
    expect(pushed.stderr).not.toMatch(/ssh .*git-lfs/)
    // nobody serves yet: git's output says where the push is
    expect(pushed.stderr).toContain('gas: game: pushed here only, no teammate is online')
    expect(await ok(anaRepo, ['config', 'remote.team.lfsurl'])).toMatch(/^file:\/\//)
    expect(await ana.refs.read('refs/git/game')).toMatch(/^[0-9a-f]{64}$/)
    expect(await ana.refs.list('refs/lfs/')).toHaveLength(1)

    let stopAna = serve(ana)
    let stopBo = async (): Promise<void> => {}
    try {
      // bo clones through the peers
      const boRepo = join(root, 'bo-repo')
      await ok(root, ['clone', '-q', '-c', `gas.workspace=${boGas}`, 'gas://orcs/game', boRepo])
      expect(await ok(boRepo, ['rev-parse', 'HEAD'])).toBe(await ok(anaRepo, ['rev-parse', 'HEAD']))
      await ok(boRepo, ['fsck', '--strict'])
      // the clone is wired to gas for LFS too, and its checkout brought the content through the peers
      expect(readFileSync(join(boRepo, 'level.bin')).equals(level)).toBe(true)
      expect(await ok(boRepo, ['config', 'lfs.standalonetransferagent'])).toBe('gas')
      // and gets the team's pre-push hook: a large file outside LFS is refused at bo's push too (it went through)
      await ok(boRepo, ['config', 'gas.maxFileSize', '100k'])
      writeFileSync(join(boRepo, 'big.dat'), randomBytes(200_000))
      await ok(boRepo, ['add', 'big.dat'])
      await ok(boRepo, ['commit', '-qm', 'big'])
      const tooBig = await git(boRepo, ['push', '-q', 'origin', 'main'])
      expect(tooBig.status).not.toBe(0)
      expect(tooBig.stderr).toContain('E_PUSH_REFUSED')
      await ok(boRepo, ['reset', '-q', '--hard', 'HEAD~1'])

      // bo commits and pushes; ana fetches it through bo's peer
      writeFileSync(join(boRepo, 'src', 'bo.txt'), 'bo was here\n')
      await ok(boRepo, ['add', '.'])
      await ok(boRepo, ['commit', '-qm', 'bo: a file'])
      const pushed2 = await git(boRepo, ['push', '-q', 'origin', 'main'])
      expect(pushed2.status, pushed2.stderr).toBe(0)
      // the push reaches ana's serve before git is done (it stayed on bo's machine)
      expect(pushed2.stderr).toContain('gas: game: ana took it')
      expect(await ana.refs.read('refs/git/game')).toBe(await bo.refs.read('refs/git/game'))
      stopBo = serve(bo)
      // ana stops serving; her fetch meets bo only, through the helper: same commits, same ids
      await stopAna()
      stopAna = async () => {}
      await ok(anaRepo, ['fetch', '-q', 'team'])
      expect(await ok(anaRepo, ['rev-parse', 'team/main'])).toBe(await ok(boRepo, ['rev-parse', 'HEAD']))
      expect(await ok(anaRepo, ['log', '--format=%H', 'team/main'])).toBe(await ok(boRepo, ['log', '--format=%H']))
      await ok(anaRepo, ['fsck', '--strict'])
      expect(await ana.refs.read('refs/git/game')).toBe(await bo.refs.read('refs/git/game'))
      // the push is a signed ref update the team adopts like a branch: carl's gas sync takes it
      let synced = await gas.sync({ ws: carl, trackers: [], security: gas.peerSecurity(carl) })
      // why: on a loaded machine a join right after another one sometimes meets nobody (see peer-link.ts)
      for (let i = 0; i < 2 && synced.peers === 0; i++) synced = await gas.sync({ ws: carl, trackers: [], security: gas.peerSecurity(carl) })
      expect(synced.peers, JSON.stringify({ dropped: synced.dropped, peers: synced.perPeer })).toBeGreaterThan(0)
      expect(synced.refs).toContainEqual(expect.objectContaining({ ref: 'refs/git/game', action: 'created' }))
      expect(await carl.refs.read('refs/git/game')).toBe(await bo.refs.read('refs/git/game'))

      // ana commits on her old main: git refuses the push as it refuses any non-fast-forward
      writeFileSync(join(anaRepo, 'src', 'ana.txt'), 'diverged\n')
      await ok(anaRepo, ['add', '.'])
      await ok(anaRepo, ['commit', '-qm', 'ana: diverged'])
      const refused = await git(anaRepo, ['push', 'team', 'main'])
      expect(refused.status).not.toBe(0)
      expect(refused.stderr).toMatch(/\[rejected\]\s+main -> main \(non-fast-forward\)/)
      // nothing moved: the team still has bo's commit
      expect(await ok(anaRepo, ['ls-remote', 'team', 'refs/heads/main'])).toContain(await ok(boRepo, ['rev-parse', 'HEAD']))
      // after merging, the push goes through
      await ok(anaRepo, ['merge', '-q', '--no-edit', 'team/main'])
      await ok(anaRepo, ['push', '-q', 'team', 'main'])
      expect(await ok(anaRepo, ['ls-remote', 'team', 'refs/heads/main'])).toContain(await ok(anaRepo, ['rev-parse', 'HEAD']))
    } finally {
      await stopAna()
      await stopBo()
      await ana.close()
      await bo.close()
      await carl.close()
    }
  }, 180_000)
})
