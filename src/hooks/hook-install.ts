import { chmod, readFile, rename, writeFile, stat, mkdir } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { dirname, isAbsolute, join } from 'node:path'
import { existsSync } from 'node:fs'
import { GasError } from '../errors.js'
import type { Workspace } from '../repo/workspace.js'
import { runGit } from './git-command.js'

/** first line after the shebang: how a hook written by gas is recognised (and rewritten, never chained to itself) */
export const HOOK_MARKER = '# gas pre-push hook'
/** the hook that was there before ours, run after ours with the same arguments and stdin */
export const CHAINED_HOOK = 'pre-push.gas-chained'

/** bin/gas of this installation, as node + script so the hook works without gas on the PATH */
export function defaultGasCommand (): string[] {
  // this file runs from dist/src/hooks (built) or src/hooks (tests): the package root is above either
  let dir = dirname(fileURLToPath(import.meta.url))
  for (let i = 0; i < 4 && !existsSync(join(dir, 'bin', 'gas')); i++) dir = dirname(dir)
  return [process.execPath, join(dir, 'bin', 'gas')]
}

export interface InstallHookOptions {
  ws: Workspace
  /** the repository's work tree (or any folder inside it) */
  cwd: string
  /** also make git-lfs transfer through gas (`gas lfs-agent`) */
  lfs?: boolean
  /** how the hook and git-lfs run gas (default: this installation's node and bin/gas) */
  gasCommand?: string[]
}

export interface InstallHookResult { hook: string, chained: string | null, lfs: boolean }

export async function installHook (opts: InstallHookOptions): Promise<InstallHookResult> {
  const { cwd } = opts
  const command = opts.gasCommand ?? defaultGasCommand()
  if (command.length === 0) throw GasError.badArgument('gasCommand must name a program')
  const inRepo = await runGit(['rev-parse', '--git-path', 'hooks'], { cwd, allowFailure: true })
  if (inRepo.status !== 0) throw GasError.badArgument(`${cwd} is not inside a git repository; run \`git init\` first`)
  const hooksDir = isAbsolute(inRepo.stdout.trim()) ? inRepo.stdout.trim() : join(cwd, inRepo.stdout.trim())
  await runGit(['config', 'gas.workspace', opts.ws.root], { cwd })
  if (opts.lfs === true) {
    // git-lfs's own filters and hooks first, so its pre-push is the one ours chains
    await runGit(['lfs', 'install', '--local'], { cwd, allowFailure: true })
    await configureLfsAgent(cwd, command)
  }
  await mkdir(hooksDir, { recursive: true })
  const hook = join(hooksDir, 'pre-push')
  const chainedPath = join(hooksDir, CHAINED_HOOK)
  const existing = await readFile(hook, 'utf8').catch(() => undefined)
  if (existing !== undefined && !existing.includes(HOOK_MARKER)) {
    if (await stat(chainedPath).then(() => true, () => false)) {
      throw new GasError('E_ALREADY_EXISTS', `${hook} is not gas's and ${chainedPath} already exists; merge them by hand, then run \`gas hook install\` again`, { path: hook })
    }
    await rename(hook, chainedPath)
  }
  const tmp = `${hook}.gas-tmp-${randomBytes(6).toString('hex')}`
  await writeFile(tmp, hookScript(command), { mode: 0o755 })
  await chmod(tmp, 0o755)
  await rename(tmp, hook)
  const chained = await stat(chainedPath).then(() => chainedPath, () => null)
  return { hook, chained, lfs: opts.lfs === true }
}

/** Makes git-lfs in the repository at `cwd` transfer through `gas lfs-agent`. */
export async function configureLfsAgent (cwd: string, command = defaultGasCommand()): Promise<void> {
  const [agent, ...rest] = command
  const agentArgs = [...rest, 'lfs-agent']
  await runGit(['config', 'lfs.standalonetransferagent', 'gas'], { cwd })
  await runGit(['config', 'lfs.customtransfer.gas.path', agent], { cwd })
  await runGit(['config', 'lfs.customtransfer.gas.args', agentArgs.map(shellQuote).join(' ')], { cwd })
  // one agent process for all objects: it keeps one connection to the peers
  await runGit(['config', 'lfs.customtransfer.gas.concurrent', 'false'], { cwd })
}

function hookScript (command: string[]): string {
  return [
    '#!/bin/sh',
    HOOK_MARKER,
    '# written by `gas hook install`: checks and stores what is pushed, then runs the hook that was here before',
    'input=$(cat)',
    `printf '%s\\n' "$input" | ${command.map(shellQuote).join(' ')} hook pre-push "$@" || exit $?`,
    `chained="$(dirname "$0")/${CHAINED_HOOK}"`,
    'if [ -x "$chained" ]; then',
    '  printf \'%s\\n\' "$input" | "$chained" "$@" || exit $?',
    'fi',
    ''
  ].join('\n')
}

function shellQuote (word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, '\'\\\'\'')}'`
}
