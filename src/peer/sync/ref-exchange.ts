import { GasError, isGasError } from '../../errors.js'
import type { ObjectId } from '../../objects/id.js'
import type { ObjectStore } from '../../objects/store.js'
import { isLockRef } from '../../refs/lock-ref.js'
import { checkRefName, checkShortName } from '../../refs/ref-name.js'
import type { RefStore } from '../../refs/ref-store.js'
import { isAncestor } from '../../repo/merge-base.js'

export { isAncestor }

/**
 * Applies a peer's advertised refs to ours without ever losing one:
 * - every advertised head, tag and build is recorded as `refs/remotes/<peer>/<kind>/<name>`;
 * - a ref we lack is adopted; a branch whose remote head descends from ours is fast-forwarded
 *   (compare-and-swap, so a concurrent local commit wins and is reported instead);
 * - a branch that diverged, or a tag/build that names something else on the remote, stays as it
 *   is and is reported as a conflict: both heads remain reachable for a later merge.
 * Call it once the metadata of the advertised versions is in the store (ancestry is walked there).
 */

/** the ref namespaces applied like branches and tags; remotes are per workspace, locks travel as records of their own (lock-exchange.ts) */
export const SHARED_REF_PREFIXES = ['refs/heads/', 'refs/tags/', 'refs/builds/', 'refs/git/'] as const
/** refs that move forward like branches: heads, and git repositories pushed through git-remote-gas (src/hooks) */
export const MOVABLE_REF_PREFIXES = ['refs/heads/', 'refs/git/'] as const
/**
 * Advertised but never walked nor adopted by a sync: refs/lfs/<oid> names the file manifest of a
 * Git LFS object this peer holds, so the LFS agent finds it; a plain sync must not download every
 * LFS object's content.
 */
export const ON_DEMAND_REF_PREFIXES = ['refs/lfs/'] as const

export interface RemoteRef { name: string, id: ObjectId }

/**
 * 'delivered': we were ahead, and the peer took our value in the same session (a `gas serve` does);
 * 'moved': we were ahead or diverged, and the peer's value moved to another one during the session
 * (a serve that merged ours with work of its own, or took another member's): the next sync brings it;
 * 'taken-into': it moved so, and the same sync then fast-forwarded us to it (follow-up.ts)
 */
export type RefAction = 'created' | 'fast-forward' | 'up-to-date' | 'ahead' | 'delivered' | 'moved' | 'taken-into' | 'conflict'

export interface RefOutcome {
  ref: string
  action: RefAction
  local: ObjectId | null
  remote: ObjectId
  /** where the remote value is kept: refs/remotes/<peer>/... */
  remoteRef: string
}

export interface RefConflict {
  ref: string
  peer: string
  /** our value, kept */
  local: ObjectId
  /** theirs, kept under remoteRef */
  remote: ObjectId
  remoteRef: string
  why: 'diverged' | 'tag-moved' | 'not-a-version' | 'concurrent-update'
}

export interface ApplyRefsOptions {
  refs: RefStore
  store: ObjectStore
  /** the remote's advertisement */
  remoteRefs: RemoteRef[]
  /** the remote's name: a path component of refs/remotes/<peerName>/ */
  peerName: string
  /** who is written to the reflog */
  who?: string
  now?: () => number
  /** only apply refs for which this returns true (e.g. whose objects were all fetched) */
  accept?: (ref: RemoteRef) => boolean
  /**
   * Write rights (src/auth): throws a GasError when the update of `ref` (ours: `local`) must not be
   * applied. The ref is then left alone, not even recorded as the remote's view, and reported in `rejected`.
   */
  authorize?: (ref: RemoteRef, local: ObjectId | null) => Promise<void>
}

/** A remote ref update refused by `authorize`: the error's code and message, and who sent it */
export interface RejectedRef { ref: string, id: ObjectId, peer: string, code: string, message: string }

export interface ApplyRefsResult {
  outcomes: RefOutcome[]
  conflicts: RefConflict[]
  /** advertised names that are not valid shared refs, ignored */
  ignored: string[]
  /** updates `authorize` refused */
  rejected: RejectedRef[]
}

/**
 * Team records (members' certificates, revocations, the access policy): advertised and fetched
 * like shared refs, but adopted by src/auth after their signatures check out, never fast-forwarded.
 */
export const TEAM_REF_PREFIX = 'refs/team/'

export function isTeamRef (name: string): boolean {
  return name.startsWith(TEAM_REF_PREFIX)
}

/** a git repository pushed through git-remote-gas (src/hooks/git-repo-state.ts) */
export function isGitRef (name: string): boolean {
  return name.startsWith('refs/git/')
}

export function isSharedRef (name: string): boolean {
  return SHARED_REF_PREFIXES.some((prefix) => name.startsWith(prefix))
}

/** what a peer advertises: the shared refs and the on-demand ones */
export function isAdvertisedRef (name: string): boolean {
  return isSharedRef(name) || isTeamRef(name) || ON_DEMAND_REF_PREFIXES.some((prefix) => name.startsWith(prefix)) || isLockRef(name)
}

/** refs/heads/main from peer bob → refs/remotes/bob/heads/main */
export function remoteRefName (peerName: string, ref: string): string {
  return `refs/remotes/${peerName}/${ref.slice('refs/'.length)}`
}

export async function applyRemoteRefs (opts: ApplyRefsOptions): Promise<ApplyRefsResult> {
  const peerName = checkShortName(opts.peerName, 'peer')
  if (peerName.includes('/')) throw GasError.badArgument(`peer name "${peerName}" must be one path component`)
  const who = opts.who ?? `sync from ${peerName}`
  const now = opts.now ?? Date.now
  const result: ApplyRefsResult = { outcomes: [], conflicts: [], ignored: [], rejected: [] }
  for (const remote of opts.remoteRefs) {
    if (!validSharedRef(remote.name)) {
      result.ignored.push(remote.name)
      continue
    }
    if (opts.accept !== undefined && !opts.accept(remote)) continue
    if (opts.authorize !== undefined) {
      const refused = await refusal(opts.authorize, remote, (await opts.refs.read(remote.name)) ?? null)
      if (refused !== undefined) {
        result.rejected.push({ ref: remote.name, id: remote.id, peer: peerName, ...refused })
        continue
      }
    }
    const remoteRef = remoteRefName(peerName, remote.name)
    // the remote's view is always kept, so a conflict can be merged later
    await opts.refs.update({ name: remoteRef, newId: remote.id, message: `advertised by ${peerName}`, who, now: now() })
    const outcome = await applyOne(opts, remote, remoteRef, who, now)
    result.outcomes.push(outcome.outcome)
    if (outcome.conflict !== undefined) result.conflicts.push({ ...outcome.conflict, peer: peerName })
  }
  return result
}

async function applyOne (opts: ApplyRefsOptions, remote: RemoteRef, remoteRef: string, who: string, now: () => number): Promise<{ outcome: RefOutcome, conflict?: Omit<RefConflict, 'peer'> }> {
  const local = (await opts.refs.read(remote.name)) ?? null
  const base = { ref: remote.name, local, remote: remote.id, remoteRef }
  const conflict = (why: RefConflict['why'], current: ObjectId): { outcome: RefOutcome, conflict: Omit<RefConflict, 'peer'> } => ({
    outcome: { ...base, local: current, action: 'conflict' },
    conflict: { ref: remote.name, local: current, remote: remote.id, remoteRef, why }
  })
  if (local === remote.id) return { outcome: { ...base, action: 'up-to-date' } }
  let action: RefAction
  if (local === null) {
    action = 'created'
  } else if (!MOVABLE_REF_PREFIXES.some((prefix) => remote.name.startsWith(prefix))) {
    // tags and builds name one thing forever; a different value elsewhere is a conflict, never a move
    return conflict('tag-moved', local)
  } else if (!(await isVersion(opts.store, remote.id)) || !(await isVersion(opts.store, local))) {
    return conflict('not-a-version', local)
  } else if (await isAncestor(opts.store, local, remote.id)) {
    action = 'fast-forward'
  } else if (await isAncestor(opts.store, remote.id, local)) {
    return { outcome: { ...base, action: 'ahead' } }
  } else {
    return conflict('diverged', local)
  }
  try {
    await opts.refs.update({ name: remote.name, newId: remote.id, expectedOld: local, message: `${action} from ${remoteRef}`, who, now: now() })
  } catch (err) {
    if (!isGasError(err, 'E_REF_CONFLICT')) throw err
    // someone moved the ref meanwhile: theirs stays, ours is reported
    return conflict('concurrent-update', (await opts.refs.read(remote.name)) ?? remote.id)
  }
  return { outcome: { ...base, action } }
}

/** why: a forged or unauthorized update is the remote's fault, reported and skipped; anything else (a full disk) is ours and stops the sync */
async function refusal (authorize: NonNullable<ApplyRefsOptions['authorize']>, remote: RemoteRef, local: ObjectId | null): Promise<{ code: string, message: string } | undefined> {
  if (local === remote.id) return undefined
  try {
    await authorize(remote, local)
    return undefined
  } catch (err) {
    if (!(err instanceof GasError) || err.code === 'E_IO' || err.code === 'E_DISK_FULL') throw err
    return { code: err.code, message: err.message }
  }
}

function validSharedRef (name: string): boolean {
  if (!isSharedRef(name)) return false
  try {
    checkRefName(name)
    return true
  } catch {
    return false
  }
}

async function isVersion (store: ObjectStore, id: ObjectId): Promise<boolean> {
  if (!(await store.has(id))) return false
  return (await store.get(id)).type === 'version'
}

