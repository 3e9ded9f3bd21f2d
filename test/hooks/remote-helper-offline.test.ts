import { spawn } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { describe, expect, it } from 'vitest'
import * as gas from '../../src/index.js'
import { SERVE_LOCK } from '../../src/repo/serve-lock.js'
import { useTmp } from '../helpers/tmp.js'
import { gitEnv } from './git-env.js'

const tmp = useTmp()

describe('git-remote-gas with no peer online', () => {
  it('a fetch says it answered from this workspace alone (git pull printed only "Already up to date"); a push says it stays here', async () => {
    const root = tmp()
    const { git, env } = gitEnv(join(root, 'home'))
    const ws = await gas.init({ dir: join(root, 'gas'), name: 'ana', team: 'orcs' })
    const saved = { HOME: process.env.HOME, GIT_CONFIG_NOSYSTEM: process.env.GIT_CONFIG_NOSYSTEM }
    process.env.HOME = env.HOME
    process.env.GIT_CONFIG_NOSYSTEM = '1'
    const helper = async (cwd: string, commands: string): Promise<{ out: string, log: string[] }> => {
      const input = new PassThrough()
      const output = new PassThrough()
      let out = ''
      const log: string[] = []
      output.on('data', (b: Buffer) => { out += b.toString('utf8') })
      input.end(commands)
      await gas.hooks.runRemoteHelper({ ws, url: 'gas://orcs/game', cwd, input, output, trackers: [], security: gas.peerSecurity(ws), log: (line) => log.push(line) })
      return { out, log }
    }
    try {
      const repo = join(root, 'repo')
      mkdirSync(repo)
      await git(repo, ['init', '-q'])
      writeFileSync(join(repo, 'main.lua'), 'print(1)\n')
      await git(repo, ['add', '.'])
      await git(repo, ['commit', '-qm', 'first'])
      const pushed = await helper(repo, 'list for-push\npush refs/heads/main:refs/heads/main\n\n')
      expect(pushed.out).toContain('ok refs/heads/main')
      // why said: git's own line reads as if the team had it; nobody is online to take it
      expect(pushed.log).toEqual(['gas: game: pushed here only, no teammate is online: it reaches the team at a sync while this machine is online (`gas sync`, or keep `gas serve` running)'])
      const listed = await helper(repo, 'list\n')
      expect(listed.out).toContain('refs/heads/main')
      expect(listed.log).toHaveLength(1)
      expect(listed.log[0]).toMatch(/^gas: game: no (team )?peer .*; git sees it as this workspace last had it \(a member who pushed since must be online: `gas serve`\)$/)
      // this workspace's own serve running (the lock it holds): what members pushed to it is here, said so rather than "no peer"
      const serve = spawn('sleep', ['30'])
      try {
        writeFileSync(join(ws.gasDir, SERVE_LOCK), JSON.stringify({ pid: serve.pid, command: 'gas serve', since: new Date().toISOString(), nonce: 'n' }))
        const beside = await helper(repo, 'list\n')
        expect(beside.log).toEqual([`gas: game: no teammate online; this workspace's own \`gas serve\` (pid ${serve.pid}) is online and keeps here what members bring it: this workspace has everything it took`])
      } finally {
        serve.kill('SIGKILL')
      }
    } finally {
      process.env.HOME = saved.HOME
      if (saved.GIT_CONFIG_NOSYSTEM === undefined) delete process.env.GIT_CONFIG_NOSYSTEM
      else process.env.GIT_CONFIG_NOSYSTEM = saved.GIT_CONFIG_NOSYSTEM
      await ws.close()
    }
  })
})
