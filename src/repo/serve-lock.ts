import { GasError, isGasError } from '../errors.js'
import type { FileSystem } from '../objects/fs.js'
import { isProcessAlive } from '../objects/process-alive.js'
import { acquireWorkspaceLock, lockHolder, type LockHolder } from './workspace-lock.js'

/**
 * .gas/serve.lock: held by the one `gas serve` of a workspace while it runs (pid, command, since).
 * why: a second serve of the same workspace was started without a word; both took members'
 * versions into one store and checked them out in turn, and each counted the other as a teammate
 * online ("1 other peer(s) of the team online"). And a command run beside the serve (a `git pull`,
 * a `gas sync`) that reaches no teammate can say that this workspace's own serve is online and
 * keeps here what members bring, instead of sending the user to start one.
 * A lock left by a killed serve is taken over, as the workspace lock is (workspace-lock.ts).
 */
export const SERVE_LOCK = 'serve.lock'

/** Claims the serve of this workspace; the returned function lets it go. E_LOCKED when a live serve holds it. */
export async function claimServe (fs: FileSystem, gasDir: string, command?: string): Promise<() => Promise<void>> {
  try {
    return await acquireWorkspaceLock(fs, gasDir, { file: SERVE_LOCK, waitMs: 0, command })
  } catch (err) {
    if (!isGasError(err, 'E_LOCKED')) throw err
    const holder = await runningServe(fs, gasDir)
    const who = holder === undefined ? 'another `gas serve`' : `\`gas serve\` pid ${holder.pid} (since ${holder.since})`
    throw new GasError('E_LOCKED', `${who} already serves this workspace: one serve per workspace is enough (members reach it for everything it holds); stop that one first to start another`,
      { ...err.data, serving: true })
  }
}

/** The `gas serve` of this workspace running now, if any (a lock of a process that is gone is none). */
export async function runningServe (fs: FileSystem, gasDir: string): Promise<LockHolder | undefined> {
  const holder = await lockHolder(fs, gasDir, SERVE_LOCK)
  return holder !== undefined && holder.pid !== process.pid && isProcessAlive(holder.pid) ? holder : undefined
}

/**
 * What a command beside this workspace's own serve says when it reached no teammate, undefined
 * when no serve of this workspace runs: the serve keeps here what members bring it, so nothing
 * was missed by not reaching anyone.
 */
export async function ownServeNote (fs: FileSystem, gasDir: string): Promise<string | undefined> {
  const serve = await runningServe(fs, gasDir)
  return serve === undefined ? undefined : `this workspace's own \`gas serve\` (pid ${serve.pid}) is online and keeps here what members bring it: this workspace has everything it took`
}
