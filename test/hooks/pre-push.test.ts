import { randomBytes } from 'node:crypto'
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import * as gas from '../../src/index.js'
import { GAS_BIN, gasInProcess } from '../helpers/cli.js'
import { useTmp } from '../helpers/tmp.js'
import { gitEnv, run } from './git-env.js'

const tmp = useTmp()

async function repoWithHook (root: string, opts: { lfs: boolean, existingHook?: string }): Promise<{ dir: string, ws: gas.Workspace, git: ReturnType<typeof gitEnv>['git'], env: NodeJS.ProcessEnv, remote: string }> {
  const { git, env } = gitEnv(join(root, 'home'))
  const dir = join(root, 'game')
  const remote = join(root, 'remote.git')
  await git(root, ['init', '-q', dir])
  await git(root, ['init', '-q', '--bare', remote])
  await git(dir, ['remote', 'add', 'origin', remote])
  const ws = await gas.init({ dir, name: 'ana', team: 'orcs' })
  writeFileSync(join(dir, '.gitignore'), '.gas/\n')
  if (opts.existingHook !== undefined) {
    writeFileSync(join(dir, '.git', 'hooks', 'pre-push'), opts.existingHook)
    chmodSync(join(dir, '.git', 'hooks', 'pre-push'), 0o755)
  }
  const installed = await run(process.execPath, [GAS_BIN, 'hook', 'install', ...(opts.lfs ? ['--lfs'] : []), '--json'], { cwd: dir, env })
  expect(installed.status, installed.stderr).toBe(0)
  return { dir, ws, git, env, remote }
}

describe('gas hook pre-push (real git, real git-lfs)', () => {
  it('refuses an untracked 20 MB binary naming file and commit, then passes and stores it once LFS tracks it', async () => {
    const root = tmp()
    const { dir, ws, git, remote } = await repoWithHook(root, { lfs: true })
    try {
      const big = randomBytes(20_000_000)
      writeFileSync(join(dir, 'level.bin'), big)
      writeFileSync(join(dir, 'readme.txt'), 'small files pass\n')
      await git(dir, ['add', '.'])
      await git(dir, ['commit', '-qm', 'level'])
      const commit = (await git(dir, ['rev-parse', 'HEAD'])).stdout.trim()
      const refused = await git(dir, ['push', 'origin', 'main'])
      expect(refused.status).not.toBe(0)
      expect(refused.stderr).toContain('gas: E_PUSH_REFUSED')
      expect(refused.stderr).toContain(`level.bin (commit ${commit.slice(0, 10)}): 20000000 bytes, over the 10000000-byte limit`)
      expect((await git(remote, ['for-each-ref'])).stdout).toBe('')

      // tracked by LFS instead: the push goes through and the content is in gas for the peers
      await git(dir, ['lfs', 'track', '*.bin'])
      await git(dir, ['rm', '-q', '--cached', 'level.bin'])
      await git(dir, ['add', '.gitattributes', 'level.bin'])
      await git(dir, ['commit', '-q', '--amend', '-m', 'level, in LFS'])
      const pushed = await git(dir, ['push', 'origin', 'main'])
      expect(pushed.status, pushed.stderr).toBe(0)
      expect(pushed.stderr).toContain('gas: stored 1 LFS object(s) for peers: level.bin')
      const oid = (await import('node:crypto')).createHash('sha256').update(big).digest('hex')
      const stored = await gas.lfs.localLfsManifest(ws, oid)
      expect(stored?.manifest.size).toBe(20_000_000)
      expect((await git(remote, ['rev-parse', 'main'])).stdout.trim()).toBe((await git(dir, ['rev-parse', 'HEAD'])).stdout.trim())
    } finally {
      await ws.close()
    }
  }, 120_000)

  it('keeps an existing pre-push hook and runs it after its own checks; its refusal still stops the push', async () => {
    const root = tmp()
    const marker = join(root, 'ran')
    const { dir, ws, git } = await repoWithHook(root, { lfs: false, existingHook: `#!/bin/sh\ncat > '${marker}'\necho "$1" >> '${marker}'\nexit 1\n` })
    try {
      expect(existsSync(join(dir, '.git', 'hooks', gas.hooks.CHAINED_HOOK))).toBe(true)
      // installing again rewrites gas's hook and never chains it to itself
      const again = await gas.hooks.installHook({ ws, cwd: dir })
      expect(again.chained).toBe(join(dir, '.git', 'hooks', gas.hooks.CHAINED_HOOK))
      expect(readFileSync(join(dir, '.git', 'hooks', gas.hooks.CHAINED_HOOK), 'utf8')).not.toContain(gas.hooks.HOOK_MARKER)
      writeFileSync(join(dir, 'a.txt'), 'a\n')
      await git(dir, ['add', '.'])
      await git(dir, ['commit', '-qm', 'a'])
      const pushed = await git(dir, ['push', 'origin', 'main'])
      expect(pushed.status).not.toBe(0)
      // the old hook saw git's stdin and arguments
      expect(readFileSync(marker, 'utf8')).toMatch(/^refs\/heads\/main [0-9a-f]{40} refs\/heads\/main 0{40}\norigin\n$/)
    } finally {
      await ws.close()
    }
  }, 60_000)

  it('checks in process: the size limit from git config, pointers without content, locks, malformed stdin', async () => {
    const root = tmp()
    const { dir, ws, git } = await repoWithHook(root, { lfs: false })
    try {
      writeFileSync(join(dir, 'mid.bin'), randomBytes(3000))
      const pointerOid = 'ab'.repeat(32)
      writeFileSync(join(dir, 'gone.psd'), `version https://git-lfs.github.com/spec/v1\noid sha256:${pointerOid}\nsize 12345\n`)
      await git(dir, ['add', '.'])
      await git(dir, ['commit', '-qm', 'mid'])
      const sha = (await git(dir, ['rev-parse', 'HEAD'])).stdout.trim()
      const stdin = `refs/heads/main ${sha} refs/heads/main ${'0'.repeat(40)}\n`
      await git(dir, ['config', 'gas.maxFileSize', '2k'])
      const env = { ...process.env, HOME: join(root, 'home'), GIT_CONFIG_NOSYSTEM: '1' }
      await expect(gas.hooks.runPrePushHook({ cwd: dir, remoteName: 'origin', stdin, env })).rejects.toMatchObject({
        code: 'E_PUSH_REFUSED',
        message: expect.stringContaining(`mid.bin (commit ${sha.slice(0, 10)}): 3000 bytes, over the 2000-byte limit`)
      })
      const gitDir = join(dir, '.git')
      const refs = gas.hooks.parsePushedRefs(stdin)
      const missing = await gas.hooks.prePush({ ws, gitDir, remoteName: 'origin', refs, maxFileSize: 1_000_000 })
      expect(missing.violations).toEqual([{ path: 'gone.psd', commit: sha, size: 12345, why: 'lfs-content-missing' }])
      const locked = await gas.hooks.prePush({ ws, gitDir, remoteName: 'origin', refs, maxFileSize: 1_000_000, lockedBy: async (path) => path === 'mid.bin' ? 'bo' : undefined })
      expect(locked.violations).toContainEqual({ path: 'mid.bin', commit: sha, why: 'locked', holder: 'bo' })
      // pushing what the remote already has walks nothing
      const nothing = await gas.hooks.prePush({ ws, gitDir, remoteName: 'origin', refs: [{ ...refs[0], remoteSha: sha }] })
      expect(nothing).toMatchObject({ commits: 0, blobsChecked: 0, violations: [] })
      expect(() => gas.hooks.parsePushedRefs('not a ref line')).toThrow(/unexpected line/)
      expect(gas.hooks.parseSize('10m')).toBe(10_000_000)
      expect(gas.hooks.parseSize('1GiB')).toBe(1024 ** 3)
      expect(() => gas.hooks.parseSize('lots')).toThrow(/not a size/)
      expect(gas.hooks.parseLfsPointer(Buffer.from('hello'))).toBeUndefined()
      // the CLI, in process: installing again prints what it did as one JSON document
      const cli = await gasInProcess(dir, ['hook', 'install', '--json'])
      expect(JSON.parse(cli.stdout)).toMatchObject({ hook: join(dir, '.git', 'hooks', 'pre-push'), lfs: false })
      const outside = await gasInProcess(root, ['hook', 'install'])
      expect(outside.stderr).toMatch(/gas: E_(BAD_ARGUMENT|NOT_A_WORKSPACE)/)
    } finally {
      await ws.close()
    }
  }, 60_000)
})
