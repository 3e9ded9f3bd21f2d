import { GasError } from '../../errors.js'
import type { ObjectId } from '../../objects/id.js'
import type { PreparedContent } from '../../repo/arriving-files.js'
import { checkoutHead, type CheckoutResult } from '../../repo/checkout.js'
import { mergeVersion } from '../../repo/merge.js'
import type { PathConflict } from '../../repo/merge-state.js'
import type { Workspace } from '../../repo/workspace.js'
import type { WantContent } from '../../sync/want-set.js'
import type { ContentPolicy } from './content-pass.js'
import type { RefConflict } from './ref-exchange.js'

/** a diverged branch merged in: committed (`version`), waiting on `conflicts`, or not started (`error`) */
/** `same`: the peer had made the same merge (mergeVersion's `same`): no new version */
export type SyncMerge = { from: string, version: ObjectId | null, conflicts: PathConflict[], error: string | null, same?: true } | null

export interface WorkspaceUpdate {
  checkout: CheckoutResult | null
  merge: SyncMerge
}

/**
 * The workspace's files brought to the refs a sync applied: a checkout of the head, and a branch
 * that diverged from a peer's merged in (its checkout replaces the first).
 */
export async function updateWorkspace (ws: Workspace, arriving: PreparedContent, conflicts: readonly RefConflict[]): Promise<WorkspaceUpdate> {
  // from the version the files are at (the index's base): a sync killed after moving the branch left them behind
  let checkout = await checkoutHead(ws, arriving)
  let merge: SyncMerge = null
  const diverged = conflicts.find((c) => c.ref === ws.branchRef && c.why === 'diverged')
  if (diverged !== undefined) {
    const from = `${diverged.peer}'s ${ws.config.branch}`
    try {
      const merged = await mergeVersion(ws, { theirs: diverged.remote, from })
      // the checkout says where the files are: at the merge once it is committed (a second round may fast-forward past it)
      checkout = merged.version === null ? merged.checkout : { ...merged.checkout, version: merged.version }
      merge = { from, version: merged.version, conflicts: merged.conflicts, error: null, ...(merged.same === true ? { same: true as const } : {}) }
    } catch (err) {
      // e.g. uncommitted work: nothing is lost, their head stays recorded for the next sync
      merge = { from, version: null, conflicts: [], error: err instanceof GasError ? err.message : String(err) }
    }
  }
  return { checkout, merge }
}

/** The workspace's selective-sync policy, read again after a sync (SelectiveSyncOptions.reloadPolicy, src/sync/workspace-policy.ts). */
export type ReloadPolicy = () => Promise<{ notice: string | null, wantContent: WantContent, policyKey: string, contentOfHistory?: boolean }>

/**
 * The checkout's report once the files a new policy wanted were written too (the second fetch of a
 * sync that brought new rules): they join `written` and leave `skipped`. A sync that checked out
 * nothing and then wrote such files reports a checkout at the head with those files.
 */
export function withNewlyWritten (checkout: CheckoutResult | null, head: ObjectId | undefined, paths: readonly string[]): CheckoutResult | null {
  const written = new Set(paths)
  if (checkout === null) return written.size === 0 || head === undefined ? null : { version: head, written: [...written], removed: [], skipped: [], conflicts: [] }
  return { ...checkout, written: [...checkout.written, ...written], skipped: checkout.skipped.filter((s) => !written.has(s.path)) }
}

/** The content policy a reload found, when it differs from the one the sync ran under (`policyKey`). */
export function changedPolicy (now: Awaited<ReturnType<ReloadPolicy>>, policyKey: string | undefined): ContentPolicy | undefined {
  if (now.policyKey === policyKey) return undefined
  return { wantContent: now.wantContent, policyKey: now.policyKey, contentOfHistory: now.contentOfHistory }
}
