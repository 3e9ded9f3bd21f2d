import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { describe, expect, it, vi } from 'vitest'
import * as gas from '../../src/index.js'
import { LISTING_FRESH_MS, leavePushListing, pushInProgressListing } from '../../src/hooks/push-listing.js'
import { useTmp } from '../helpers/tmp.js'
import { gitEnv, run } from './git-env.js'

const tmp = useTmp()
const HELPER = resolve('bin/git-remote-gas')

describe('the listing of a push in progress', () => {
  it('answers the `git ls-remote` git-lfs runs during a push (real helper processes), and nothing once the push ended', async () => {
    const root = tmp()
    const { git, env } = gitEnv(join(root, 'home'))
    const ws = await gas.init({ dir: join(root, 'gas'), name: 'ana', team: 'orcs' })
    await ws.close()
    const repo = join(root, 'repo')
    mkdirSync(repo)
    await git(repo, ['init', '-q'])
    await git(repo, ['config', 'gas.workspace', join(root, 'gas')])
    writeFileSync(join(repo, 'a.txt'), 'a\n')
    await git(repo, ['add', '.'])
    await git(repo, ['commit', '-qm', 'one'])
    expect((await run(HELPER, ['origin', 'gas://orcs/game'], { cwd: repo, env, input: 'list for-push\npush refs/heads/main:refs/heads/main\n\n' })).status).toBe(0)
    const head = (await git(repo, ['rev-parse', 'HEAD'])).stdout.trim()
    const listed = `${head} refs/heads/main\n@refs/heads/main HEAD\n\n`
    const debug = { ...env, GAS_DEBUG: '1', GIT_DIR: join(repo, '.git') }

    // the pushing helper has listed and waits for git (its pre-push hook runs meanwhile)
    const pushing = spawn(HELPER, ['origin', 'gas://orcs/game'], { cwd: repo, env: debug, stdio: ['pipe', 'pipe', 'pipe'] })
    let pushOut = ''
    pushing.stdout.on('data', (b: Buffer) => { pushOut += b.toString() })
    pushing.stdin.write('list for-push\n')
    await vi.waitFor(() => expect(pushOut).toBe(listed), { timeout: 30_000, interval: 50 })
    const during = await run(HELPER, ['origin', 'gas://orcs/game'], { cwd: repo, env: debug, input: 'list\n' })
    expect(during.stdout).toBe(listed)
    expect(during.stderr).toContain(`listed as the push in progress (pid ${String(pushing.pid)}) listed it`)
    expect(during.stderr).not.toContain('connected')
    // another URL is another remote: it connects
    const other = await run(HELPER, ['origin', 'gas://orcs/tools'], { cwd: repo, env: debug, input: 'list\n' })
    expect(other.stderr).toContain('connected')

    pushing.stdin.end('\n')
    await new Promise((resolve) => pushing.on('close', resolve))
    expect(existsSync(join(repo, '.git', 'gas-push-listing.json'))).toBe(false)
    const after = await run(HELPER, ['origin', 'gas://orcs/game'], { cwd: repo, env: debug, input: 'list\n' })
    expect(after.stdout).toBe(listed)
    expect(after.stderr).not.toContain('listed as the push in progress')
    expect(after.stderr).toContain('connected')
  }, 60_000)

  it('is not trusted once old, from a process gone, torn, or from this very process', async () => {
    const gitDir = tmp()
    const path = join(gitDir, 'gas-push-listing.json')
    const url = 'gas://orcs/game'
    const left = await leavePushListing(gitDir, url, 'x refs/heads/main\n\n')
    // the writer itself (a helper listing twice) connects as before
    expect(await pushInProgressListing(gitDir, url)).toBeUndefined()
    const from = (pid: number, at = Date.now()): void => writeFileSync(path, JSON.stringify({ pid, url, at, listing: 'x refs/heads/main\n\n' }))
    from(process.ppid)
    expect(await pushInProgressListing(gitDir, url)).toEqual({ listing: 'x refs/heads/main\n\n', pid: process.ppid })
    expect(await pushInProgressListing(gitDir, 'gas://orcs/tools')).toBeUndefined()
    expect(await pushInProgressListing(gitDir, url, Date.now() + LISTING_FRESH_MS)).toBeUndefined()
    from(process.ppid, Date.now() - LISTING_FRESH_MS - 1)
    expect(await pushInProgressListing(gitDir, url)).toBeUndefined()
    from(2 ** 22 + 12345)
    expect(await pushInProgressListing(gitDir, url)).toBeUndefined()
    writeFileSync(path, '{"pid": 1, "url"')
    expect(await pushInProgressListing(gitDir, url)).toBeUndefined()
    // another push's listing is left alone by the one that ends
    from(process.ppid)
    await left.forget()
    expect(existsSync(path)).toBe(true)
  })
})
