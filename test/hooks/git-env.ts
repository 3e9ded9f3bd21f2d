import { spawn } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { delimiter, join, resolve } from 'node:path'
import { expect } from 'vitest'
import * as gas from '../../src/index.js'
import { createInvite, joinTeam } from '../../src/auth/invite.js'

/** Real git in temporary folders: its own HOME (identity, default branch) and bin/ on the PATH for git-remote-gas. */
export interface Run { status: number, stdout: string, stderr: string }
export interface GitEnv { env: NodeJS.ProcessEnv, git: (cwd: string, args: string[], opts?: { env?: NodeJS.ProcessEnv, input?: string }) => Promise<Run> }

/** Asynchronous, so peers served by this test process keep answering while git runs. */
export async function run (cmd: string, args: string[], opts: { cwd: string, env: NodeJS.ProcessEnv, input?: string }): Promise<Run> {
  return await new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ['pipe', 'pipe', 'pipe'] })
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout.on('data', (b: Buffer) => out.push(b))
    child.stderr.on('data', (b: Buffer) => err.push(b))
    child.on('error', reject)
    child.on('close', (code) => resolve({ status: code ?? -1, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }))
    child.stdin.on('error', () => {})
    child.stdin.end(opts.input ?? '')
  })
}

export function gitEnv (home: string): GitEnv {
  mkdirSync(home, { recursive: true })
  writeFileSync(join(home, '.gitconfig'), '[user]\n\tname = Test\n\temail = test@example.com\n[init]\n\tdefaultBranch = main\n[advice]\n\tdetachedHead = false\n')
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, GIT_CONFIG_NOSYSTEM: '1', PATH: `${resolve('bin')}${delimiter}${process.env.PATH ?? ''}` }
  delete env.GAS_WORKSPACE
  delete env.GIT_DIR
  return {
    env,
    git: async (cwd, args, opts = {}) => await run('git', args, { cwd, env: { ...env, ...opts.env }, input: opts.input })
  }
}

/** ana leads team orcs with `tracker`; bo (and more) join with invites. */
export async function makeTeam (dirs: { lead: string, members: string[] }, trackerUrl: string): Promise<gas.Workspace[]> {
  const ana = await gas.init({ dir: dirs.lead, name: 'ana', team: 'orcs' })
  ana.config = { ...ana.config, trackers: [trackerUrl] }
  await ana.saveConfig()
  const out = [ana]
  const names = ['bo', 'carl', 'dee']
  for (const [i, dir] of dirs.members.entries()) {
    const member = await gas.init({ dir, name: names[i] })
    await joinTeam(member, JSON.stringify(await createInvite(ana, { publicKey: member.identity.publicKey, name: names[i], roles: ['artist'] })))
    out.push(await gas.open({ dir }))
    await member.close()
  }
  return out
}

/** Serves `ws` in this process until the returned function is called. */
export function serve (ws: gas.Workspace): () => Promise<void> {
  const controller = new AbortController()
  const serving = gas.servePeers({ ws, trackers: [], security: gas.peerSecurity(ws), signal: controller.signal })
  return async () => {
    controller.abort()
    await serving
  }
}

/** git that must succeed (the test fails with git's stderr otherwise); its output, trimmed. */
export function gitOk (git: GitEnv['git']): (cwd: string, args: string[]) => Promise<{ stdout: string, stderr: string }> {
  return async (cwd, args) => {
    const r = await git(cwd, args)
    expect(r.status, `git ${args.join(' ')}: ${r.stderr}`).toBe(0)
    return { stdout: r.stdout.trim(), stderr: r.stderr.trim() }
  }
}

/** A new git repository at `dir` that uses `workspace` for gas, with `origin` at the team's gas://orcs/game. */
export async function gasRepo (git: GitEnv['git'], dir: string, workspace: string): Promise<string> {
  mkdirSync(dir, { recursive: true })
  const ok = gitOk(git)
  await ok(dir, ['init', '-q'])
  await ok(dir, ['config', 'gas.workspace', workspace])
  await ok(dir, ['remote', 'add', 'origin', 'gas://orcs/game'])
  return dir
}
