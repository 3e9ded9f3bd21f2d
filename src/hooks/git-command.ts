import { spawn } from 'node:child_process'
import { GasError } from '../errors.js'

/**
 * Runs real git. The hooks and the remote helper are started by git, so git is on the PATH; its
 * pack and index code is the reference implementation and far faster than rewriting it here.
 */
export interface GitRun { stdout: string, stderr: string, status: number }

export async function runGit (args: string[], opts: { cwd?: string, input?: string | Buffer, env?: NodeJS.ProcessEnv, allowFailure?: boolean } = {}): Promise<GitRun> {
  return await new Promise((resolve, reject) => {
    const child = spawn('git', args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] })
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout.on('data', (b: Buffer) => out.push(b))
    child.stderr.on('data', (b: Buffer) => err.push(b))
    child.on('error', (e) => reject(new GasError('E_IO', `cannot run git: ${e.message}; install git`)))
    child.on('close', (code) => {
      const result = { stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), status: code ?? -1 }
      if (result.status !== 0 && opts.allowFailure !== true) {
        reject(new GasError('E_IO', `git ${args[0]} failed (${result.status}): ${result.stderr.trim().split('\n').slice(-3).join(' / ')}`, { args }))
      } else resolve(result)
    })
    child.stdin.on('error', () => {})
    child.stdin.end(opts.input ?? '')
  })
}

/** `git config --get KEY` in `cwd`, or undefined when unset (or not in a repository). */
export async function gitConfig (key: string, cwd?: string): Promise<string | undefined> {
  const run = await runGit(['config', '--get', key], { cwd, allowFailure: true })
  const value = run.stdout.trim()
  return run.status === 0 && value !== '' ? value : undefined
}
