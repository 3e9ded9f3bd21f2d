import { randomBytes } from 'node:crypto'
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTracker, type RunningTracker } from '../../src/peer/discovery/tracker.js'
import { makeWav } from '../fixtures/audio.js'
import { makeBinaryFbx } from '../fixtures/models.js'
import { makePng } from '../fixtures/textures.js'
import { GAS_BIN } from '../helpers/cli.js'
import { useTmp } from '../helpers/tmp.js'
import { gitEnv, makeTeam, run, serve, type Run } from './git-env.js'

const tmp = useTmp()
let tracker: RunningTracker
beforeAll(async () => { tracker = await startTracker({ port: 0, host: '127.0.0.1' }) })
afterAll(async () => { await tracker.close() })

function storeBytes (dir: string): number {
  let total = 0
  for (const name of readdirSync(dir)) {
    const path = join(dir, name)
    const st = statSync(path)
    total += st.isDirectory() ? storeBytes(path) : st.size
  }
  return total
}

async function gasIn (cwd: string, args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return await run(process.execPath, [GAS_BIN, ...args], { cwd, env })
}

describe('Git LFS through gas peers (real git, real git-lfs)', () => {
  it('B pulls A\'s PNG, FBX and WAV byte-identical, a second version moves only changed chunks, and a missing holder fails with gas\'s message', async () => {
    const root = tmp()
    const { env, git } = gitEnv(join(root, 'home'))
    const anaDir = join(root, 'ana')
    const boGas = join(root, 'bo-gas')
    const carlGas = join(root, 'carl-gas')
    mkdirSync(anaDir)
    const [ana, bo, carl] = await makeTeam({ lead: anaDir, members: [boGas, carlGas] }, tracker.url)
    await bo.close()

    // A: a game repository whose binaries go to LFS, LFS wired to gas
    expect((await git(anaDir, ['init', '-q'])).status).toBe(0)
    writeFileSync(join(anaDir, '.gitignore'), '.gas/\n')
    const installed = await gasIn(anaDir, ['hook', 'install', '--lfs'], env)
    expect(installed.stderr).toBe('')
    expect((await git(anaDir, ['lfs', 'track', '*.png', '*.fbx', '*.wav'])).status).toBe(0)
    const files: Record<string, Buffer> = {
      'textures/rock.png': await makePng({ width: 256, height: 256, seed: 3 }),
      'models/rock.fbx': makeBinaryFbx('sphere').bytes,
      'audio/theme.wav': Buffer.concat([makeWav({ seconds: 1, sampleRate: 44100, channels: 2, bitDepth: 16, signal: 'sine' }).bytes, randomBytes(6_000_000)])
    }
    for (const [path, bytes] of Object.entries(files)) {
      mkdirSync(join(anaDir, path, '..'), { recursive: true })
      writeFileSync(join(anaDir, path), bytes)
    }
    expect((await git(anaDir, ['add', '.'])).status).toBe(0)
    expect((await git(anaDir, ['commit', '-qm', 'assets'])).status).toBe(0)
    const remote = join(root, 'remote.git')
    expect((await git(root, ['init', '-q', '--bare', remote])).status).toBe(0)
    await git(anaDir, ['remote', 'add', 'origin', remote])
    const pushed = await git(anaDir, ['push', 'origin', 'main'])
    expect(pushed.status, pushed.stderr).toBe(0)
    // the remote holds pointers only; the content is in ana's gas store, named by refs/lfs/<oid>
    expect((await ana.refs.list('refs/lfs/')).length).toBe(3)

    let stopAna = serve(ana)
    const stopCarl = serve(carl)
    try {
      // B: clones without content, joins (done above), pulls the content through the peers
      const boDir = join(root, 'bo')
      expect((await git(root, ['clone', '-q', remote, boDir], { env: { GIT_LFS_SKIP_SMUDGE: '1' } })).status).toBe(0)
      expect(readFileSync(join(boDir, 'models/rock.fbx'), 'utf8')).toMatch(/^version https:\/\/git-lfs/)
      expect((await gasIn(boDir, ['hook', 'install', '--lfs'], { ...env, GAS_WORKSPACE: boGas })).status).toBe(0)
      const pulled = await git(boDir, ['lfs', 'pull'])
      expect(pulled.status, pulled.stderr).toBe(0)
      for (const [path, bytes] of Object.entries(files)) expect(readFileSync(join(boDir, path)).equals(bytes), path).toBe(true)

      // a second version of the large file: a few bytes changed in the middle
      const v2 = Buffer.from(files['audio/theme.wav'])
      v2.write('second take', 3_000_000)
      writeFileSync(join(anaDir, 'audio/theme.wav'), v2)
      await git(anaDir, ['commit', '-qam', 'theme: second take'])
      expect((await git(anaDir, ['push', '-q', 'origin', 'main'])).status).toBe(0)
      expect((await git(boDir, ['pull', '-q'], { env: { GIT_LFS_SKIP_SMUDGE: '1' } })).status).toBe(0)
      const before = storeBytes(join(boGas, '.gas', 'objects'))
      const second = await git(boDir, ['lfs', 'pull'])
      expect(second.status, second.stderr).toBe(0)
      expect(readFileSync(join(boDir, 'audio/theme.wav')).equals(v2)).toBe(true)
      const grown = storeBytes(join(boGas, '.gas', 'objects')) - before
      // one or two 64 KiB-average chunks and a manifest, not the 6 MB file
      expect(grown).toBeGreaterThan(0)
      expect(grown).toBeLessThan(1_000_000)

      // the only holder goes offline: git-lfs fails and shows gas's message naming who was asked
      await stopAna()
      stopAna = async () => {}
      writeFileSync(join(anaDir, 'textures/secret.png'), await makePng({ width: 64, height: 64, seed: 9 }))
      await git(anaDir, ['add', '.'])
      await git(anaDir, ['commit', '-qm', 'secret'])
      expect((await git(anaDir, ['push', '-q', 'origin', 'main'])).status).toBe(0)
      expect((await git(boDir, ['pull', '-q'], { env: { GIT_LFS_SKIP_SMUDGE: '1' } })).status).toBe(0)
      const offline = await git(boDir, ['lfs', 'pull'])
      expect(offline.status).not.toBe(0)
      const shown = offline.stdout + offline.stderr
      expect(shown).toMatch(/gas: E_NOT_FOUND: LFS object [0-9a-f]{64} \(\d+ bytes\) is not in this workspace and no reachable peer has it \(asked: carl\)/)
    } finally {
      await stopAna()
      await stopCarl()
      await ana.close()
      await carl.close()
    }
  }, 180_000)
})
