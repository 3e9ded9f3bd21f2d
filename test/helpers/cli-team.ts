import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdirSync } from 'node:fs'
import { basename, isAbsolute, join } from 'node:path'

export interface CliResult { status: number, stdout: string, stderr: string }

/**
 * How to run a real `gas` process: a command line prefix (e.g. the installed bin, or
 * `ip netns exec NS node bin/gas`), per workspace folder.
 */
export type GasCommand = (dir: string) => string[]

/** Runs `gas ARGS` in `dir`; resolves with what it printed and its exit status. */
export async function runGas (cmd: GasCommand, dir: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  const child = startGas(cmd, dir, args, env)
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', (d: Buffer) => { stdout += d.toString() })
  child.stderr?.on('data', (d: Buffer) => { stderr += d.toString() })
  const [code] = await once(child, 'close') as [number | null]
  return { status: code ?? -1, stdout, stderr }
}

export function startGas (cmd: GasCommand, dir: string, args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  const [bin, ...pre] = cmd(dir)
  return spawn(bin, [...pre, ...args], { cwd: dir, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
}

/** Runs gas and fails with its stderr unless it exits 0; parses --json output when asked. */
export async function gasOk (cmd: GasCommand, dir: string, args: string[]): Promise<any> {
  const r = await runGas(cmd, dir, args)
  if (r.status !== 0) throw new Error(`gas ${args.join(' ')} exited ${r.status}: ${r.stderr}`)
  return args.includes('--json') ? JSON.parse(r.stdout) : r.stdout
}

/** Starts `gas tracker --json` and resolves with its process and the URL it printed. */
export async function startGasTracker (cmd: GasCommand, dir: string, args: string[]): Promise<{ child: ChildProcess, printed: { url: string, urls?: string[] } }> {
  const child = startGas(cmd, dir, ['tracker', '--json', ...args])
  let out = ''
  let err = ''
  child.stderr?.on('data', (d: Buffer) => { err += d.toString() })
  const printed = await new Promise<{ url: string, urls?: string[] }>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString()
      try {
        resolve(JSON.parse(out))
      } catch {} // the document is not complete yet
    })
    child.once('close', (code) => reject(new Error(`gas tracker exited ${String(code)}: ${err}`)))
  })
  return { child, printed }
}

/** Stops a background gas process (SIGTERM, then SIGKILL after 5 s) and waits for it. */
export async function stopGas (child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const killer = setTimeout(() => child.kill('SIGKILL'), 5000)
  child.kill('SIGTERM')
  await once(child, 'close')
  clearTimeout(killer)
}

/**
 * A team made with the CLI only, as users make it: the lead (`gas init --team`) adds the
 * tracker, each member runs `gas init` and `gas whoami`, the lead writes their invite and they
 * join it. Member i runs with `cmds[i]` (so each can live in its own network namespace). Members
 * are admins: their role's preset fetches every asset, whatever its kind.
 */
export async function cliTeam (root: string, members: string[], cmds: GasCommand[], trackers: string[], iceServers: string[] = []): Promise<string[]> {
  // a member given as an absolute path lives there (another file system, say), named after its folder
  const dirs = members.map((member) => isAbsolute(member) ? member : join(root, member))
  const names = dirs.map((d) => basename(d))
  for (const d of dirs) mkdirSync(d, { recursive: true })
  const lead = cmds[0]
  await gasOk(lead, dirs[0], ['init', '--name', names[0], '--team', 'orcs'])
  for (const url of trackers) await gasOk(lead, dirs[0], ['team', 'tracker', url])
  for (const server of iceServers) await gasOk(lead, dirs[0], ['team', 'ice', server])
  for (let i = 1; i < names.length; i++) {
    await gasOk(cmds[i], dirs[i], ['init', '--name', names[i]])
    const me = await gasOk(cmds[i], dirs[i], ['whoami', '--json'])
    const invite = join(root, `${names[i]}.invite`)
    await gasOk(lead, dirs[0], ['team', 'add', me.publicKey, '--name', names[i], '--role', 'admin', '--out', invite])
    await gasOk(cmds[i], dirs[i], ['team', 'join', invite])
  }
  return dirs
}

/**
 * Starts `gas serve [ARGS]` in `dir` and resolves once it says `ready`: 'serving' (it started), or
 * 'announced to' (a tracker answered its announce, so a sync started now is introduced to it).
 */
export async function startServe (cmd: GasCommand, dir: string, env: NodeJS.ProcessEnv = {}, args: string[] = [], ready: 'serving' | 'announced to' = 'serving'): Promise<ChildProcess> {
  const child = startGas(cmd, dir, ['serve', ...args], env)
  let err = ''
  await new Promise<void>((resolve, reject) => {
    child.stderr?.on('data', (d: Buffer) => {
      err += d.toString()
      if (err.includes(ready)) resolve()
    })
    child.once('close', (code) => reject(new Error(`gas serve exited ${String(code)}: ${err}`)))
  })
  return child
}

/**
 * `gas sync --once --json` in `dir`, again (at most `attempts` times) while it met no peer: on a
 * loaded machine the serving process may announce after the first wait ended. Returns the last run.
 */
export async function syncUntilPeer (cmd: GasCommand, dir: string, attempts = 3, args: string[] = []): Promise<CliResult & { json: any }> {
  for (let i = 1; ; i++) {
    const r = await runGas(cmd, dir, ['sync', '--once', '--json', ...args])
    let json: any = null
    try { json = JSON.parse(r.stdout) } catch {}
    if ((json !== null && json.peers > 0) || i >= attempts) return { ...r, json }
  }
}
