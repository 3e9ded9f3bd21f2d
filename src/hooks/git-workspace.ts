import { Workspace, type WorkspaceOptions } from '../repo/workspace.js'
import { gitConfig } from './git-command.js'
import { clockFromEnv } from '../repo/env-clock.js'

/** environment variable naming the gas workspace git's helpers use (a clone has no repository config yet) */
export const GAS_WORKSPACE_ENV = 'GAS_WORKSPACE'

/**
 * The gas workspace a hook, the LFS agent or the remote helper works with: $GAS_WORKSPACE, else
 * the repository's `git config gas.workspace` (written by `gas hook install`), else the workspace
 * around `cwd`, as every gas command finds it.
 */
export async function openGitWorkspace (opts: { cwd: string, env?: NodeJS.ProcessEnv } & WorkspaceOptions): Promise<Workspace> {
  const env = opts.env ?? process.env
  const fromEnv = env[GAS_WORKSPACE_ENV]
  const dir = fromEnv !== undefined && fromEnv !== '' ? fromEnv : (await gitConfig('gas.workspace', opts.cwd)) ?? opts.cwd
  return await Workspace.open({ clock: clockFromEnv(env), ...opts, dir })
}
