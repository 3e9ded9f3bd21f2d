import { join, relative, sep } from 'node:path'
import { describeLock } from '../repo/lock-format.js'
import { activeLocks } from '../repo/lock-store.js'
import type { Workspace } from '../repo/workspace.js'
import { runGit } from './git-command.js'

/**
 * The pre-push hook's `lockedBy`: who else holds a lock on a path of the git work tree, as
 * "bo until 2026-11-30 17:00 Europe/Paris (rigging)". A git path is matched as the gas workspace
 * names it (relative to its root, when the work tree is inside it) and as git names it.
 * The locks are read once: a push is checked against the table as it stood when it began.
 */
export async function lockedByOtherMember (ws: Workspace, cwd: string): Promise<(path: string) => Promise<string | undefined>> {
  const others = (await activeLocks(ws)).filter((l) => l.holder.publicKey !== ws.identity.publicKey)
  if (others.length === 0) return async () => undefined
  const top = (await runGit(['rev-parse', '--show-toplevel'], { cwd, allowFailure: true })).stdout.trim()
  const byPath = new Map(others.map((l) => [l.path, l]))
  return async (gitPath) => {
    const inWorkspace = top === '' ? gitPath : relative(ws.root, join(top, gitPath)).split(sep).join('/')
    const lock = byPath.get(inWorkspace) ?? byPath.get(gitPath)
    return lock === undefined ? undefined : describeLock(lock, ws.config.timeZone)
  }
}
