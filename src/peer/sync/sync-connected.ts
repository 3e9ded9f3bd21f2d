import { join } from 'node:path'
import type { GasError } from '../../errors.js'
import { ArrivingFiles, SYNC_LOOK_AHEAD } from '../../repo/arriving-files.js'
import type { CheckoutResult } from '../../repo/checkout.js'
import { writeNewlyWanted } from '../../sync/fetch-plan.js'
import type { Workspace } from '../../repo/workspace.js'
import type { ObjectId } from '../../objects/id.js'
import type { WantContent } from '../../sync/want-set.js'
import type { ConnectedPeers, PeerRoute } from './connect-peers.js'
import { isGitRef, type RefConflict } from './ref-exchange.js'
import { queueWantedContent } from './content-queue.js'
import type { TransferLimits } from '../transport/transfer-limits.js'
import { noPeerMaySend, refsHeldForWindow, rememberPeerSchedules, type HeldRef } from './peer-schedules.js'
import { takeLockNotices, type LockNotices } from '../../repo/lock-notices.js'
import { pruneExpiredLocks } from '../../repo/lock-store.js'
import type { LockExchange, LockExchangeReport } from './lock-exchange.js'
import { safePeerName, syncRepo, type AppliedRefs, type PeerSecurity, type SyncOptions, type SyncProgress, type SyncResult } from './sync-engine.js'
import { followedUp, joinUpdates, needsFollowUp } from './follow-up.js'
import type { PeerSession } from '../session/session.js'
import type { ContentPolicy } from './content-pass.js'
import { changedPolicy, updateWorkspace, withNewlyWritten, type ReloadPolicy, type SyncMerge, type WorkspaceUpdate } from './workspace-update.js'
import { syncIncompleteError } from './sync-outcome.js'
import { lockedChanges, type LockedChange } from '../../repo/locked-changes.js'
import { recordPendingHeads } from '../../repo/pending-heads.js'
import { clearArrivingHeads, recordArrivingHeads } from '../../repo/arriving-heads.js'
import type { DirectSecurity } from '../transport/direct-proof.js'
import { noPeersError, type TrackerReport } from '../discovery/tracker-report.js'
import { traceMark } from '../../trace.js'

/** why: how long a sync --once waits on a peer that is silent and not done (a serve between two rounds of taking what we have ahead) */
export const SYNC_LINGER_IDLE_MS = 5_000

export interface PeerNodeOptions {
  ws: Workspace
  trackers: string[]
  /** HELLO signing/verification (src/auth), injected because auth sits above this layer; `direct` enables the direct (TLS) path */
  security: Pick<PeerSecurity, 'sign' | 'verify' | 'mayServe' | 'adoptTeamRefs' | 'refUpdateCheck'> & { direct?: DirectSecurity }
  /** direct addresses (`HOST:PORT`) to try besides the workspace's */
  peers?: string[]
  rtcConfig?: Record<string, unknown>
  wantContent?: WantContent
  /** the policy's fingerprint, with wantContent (SyncPolicy.fingerprint) */
  policyKey?: string
  /** content of older versions too (default true); the workspace's policy says false: older versions come on demand */
  contentOfHistory?: boolean
  /**
   * The workspace's policy read again once the sync moved the refs (selectiveSyncOptions(ws)'s
   * `reloadPolicy`): when it differs (a `.gasrules` or role the sync brought), what it newly wants
   * is fetched in the same sync, on the same connections, and written into the workspace.
   */
  reloadPolicy?: ReloadPolicy
  /** exchange lock records (src/auth/lock-exchange-of.ts); absent: locks stay local */
  locks?: LockExchange
}

export interface PeerSyncResult extends SyncResult {
  /** every wanted object arrived (false: `incomplete` says what is missing) */
  complete: boolean
  /** `E_SYNC_INCOMPLETE` as JSON when objects are missing; the CLI exits 1 with it */
  incomplete: ReturnType<GasError['toJSON']> | null
  /** what each tracker answered */
  trackers: TrackerReport[]
  checkout: CheckoutResult | null
  /** a diverged branch merged in: committed (`version`), waiting on `conflicts`, or not started (`error`) */
  merge: SyncMerge
  /** what the policy's reload said (a bad `.gasrules` received: the previous rules stay in force), once */
  policyNotice: string | null
  /** content left for a transfer window (none open now): queued, to arrive through `gas serve` */
  queued: { items: number, bytes: number, paths: string[] }
  /** with content held for a window: our branches a peer has another value of (they move with their files, in a window) */
  heldForWindow: HeldRef[]
  /** locked files this sync changed in the workspace, changed by someone other than the lock's holder */
  lockedChanges: LockedChange[]
  /** per connected peer: the ICE candidate pair that carried the sync (host, srflx or relay), and how long its handshake took */
  routes: PeerRoute[]
  /** lock records adopted and refused, and this member's leases that lost or were broken (told once) */
  locks?: LockExchangeReport & LockNotices
}

export type SyncConnectedOptions = PeerNodeOptions & { onProgress?: (p: SyncProgress) => void }

/** A serve's sync on a member's session (serve-pull.ts): which diverged branches are its to merge. */
export interface Serving {
  mergeable: (conflict: RefConflict) => Promise<boolean>
  /** objects to fetch with everything below them besides the member's refs (its Git LFS objects: serve-lfs.ts), unless content waits for a window */
  roots?: ObjectId[]
}

/**
 * A sync with peers already connected: refs exchanged, what the rules want fetched from all of
 * them at once, fast-forwards adopted, diverged branches merged, the workspace files brought up to
 * date. `gas sync` runs it once connected; `gas serve` (`serving`) with a member that connects
 * with versions it lacks, on that member's session, which it goes on serving afterwards.
 */
export async function syncConnected (opts: SyncConnectedOptions, connected: ConnectedPeers, limits: TransferLimits, serving?: Serving): Promise<PeerSyncResult> {
  const { ws } = opts
  const { identity } = connected
  await rememberPeerSchedules(ws, connected.sessions)
  const headBefore = await ws.head()
  // no window open at our end, or at every peer's: versions, metadata and previews now, content queued for the window
  const deferContent = limits.contentRate <= 0 || noPeerMaySend(connected.sessions, Date.now())
  // the large files this sync brings are written while their chunks arrive; the checkout moves them into place
  const arriving = new ArrivingFiles(ws.fs, join(ws.gasDir, 'tmp'), { lookAhead: SYNC_LOOK_AHEAD })
  // the workspace is brought to the refs once they are applied, before the peers are told we are
  // done: a `.gasrules` or role that came with them decides what else to fetch on the same sessions
  let updated: WorkspaceUpdate | undefined
  let reloaded: Awaited<ReturnType<ReloadPolicy>> | undefined
  let newPolicy: ContentPolicy | undefined
  // a serve merges only what serve-pull.ts says is its to merge: the member merged before it was done (serve-repo.ts), and what else diverged waits under refs/remotes/
  const toMerge = async (conflicts: RefConflict[]): Promise<RefConflict[]> => {
    if (serving === undefined) return conflicts
    const mine: RefConflict[] = []
    for (const conflict of conflicts) if (await serving.mergeable(conflict)) mine.push(conflict)
    return mine
  }
  const policyAfterRefs = async (applied: AppliedRefs): Promise<ContentPolicy | undefined> => {
    if (applied.peers === 0) return undefined
    await ws.store.flush()
    updated = await updateWorkspace(ws, arriving, await toMerge(applied.conflicts))
    traceMark('checkout done')
    reloaded = await opts.reloadPolicy?.()
    newPolicy = reloaded === undefined ? undefined : changedPolicy(reloaded, opts.policyKey)
    return newPolicy
  }
  const round = async (sessions: PeerSession[], last: Partial<SyncOptions>): Promise<SyncResult> => await syncRepo({
    arriving,
    store: ws.store,
    refs: ws.refs,
    sessions,
    identity,
    ...opts.security,
    wantContent: deferContent ? () => false : opts.wantContent,
    // why: with content deferred no tree is whole for the member's policy
    policyKey: deferContent ? undefined : opts.policyKey,
    contentOfHistory: opts.contentOfHistory,
    applyRefs: !deferContent,
    policyAfterRefs: deferContent ? undefined : policyAfterRefs,
    // a member's sync names the heads whose content it fetches: `gas status` elsewhere shows them meanwhile
    onMetadataHere: serving === undefined && !deferContent ? async () => await recordArrivingHeads(ws, advertisedHeads(sessions, ws.config.branch)) : undefined,
    onProgress: opts.onProgress,
    who: ws.identity.name,
    locks: opts.locks,
    // a serve answered the member's refs already, and goes on serving it once done
    // our refs again once applied (and merged): a serve then takes our merge, and we learn what it took
    readvertise: true,
    ...(serving
      // the team's always-on store keeps every git repository pushed whole, whatever its rules say of paths (they name the workspace's files, not a repository's packs)
      ? { advertise: false, keepSessions: true, lingerIdleMs: 0, roots: deferContent ? [] : serving.roots, keepWhole: isGitRef }
      // why: a serve taking what we have ahead fetches in bursts (a want-set computed between metadata rounds); a second of silence is not the end
      // kept open: a peer whose branch moved meanwhile gets a second round (follow-up.ts)
      : { lingerIdleMs: SYNC_LINGER_IDLE_MS, keepSessions: true }),
    ...last
  })
  try {
    let result: SyncResult = withConnectReport(connected, await round(connected.sessions, {}))
    const open = connected.sessions.filter((s) => !s.closed)
    if (serving === undefined && !deferContent && needsFollowUp(result) && open.length > 0) {
      traceMark('follow-up round')
      const first = updated
      updated = undefined
      result = followedUp(result, await round(open, { readvertise: false, wantContent: newPolicy?.wantContent ?? opts.wantContent }))
      updated = joinUpdates(first, updated)
    }
    // only our own processes answered, or every handshake failed: nobody to sync with
    if (result.peers === 0) throw noPeersError(connected.trackers, { dropped: result.dropped, ownProcesses: result.ownProcesses })
    traceMark('sync returned')
    await ws.store.flush()
    traceMark('store flushed')
    const queuedItems = deferContent ? await queueWantedContent(ws, { roots: result.roots, peers: result.perPeer.map((p) => p.name), wantContent: opts.wantContent, contentOfHistory: opts.contentOfHistory }) : []
    const queued = { items: queuedItems.length, bytes: queuedItems.reduce((sum, i) => sum + i.bytes, 0), paths: queuedItems.map((i) => i.path) }
    const heldForWindow = deferContent && serving === undefined ? await refsHeldForWindow(ws.refs, connected.sessions, result.perPeer.map((p) => p.name)) : []
    updated ??= await updateWorkspace(ws, arriving, await toMerge(result.conflicts))
    reloaded ??= await opts.reloadPolicy?.()
    const { merge } = updated
    // the files the new policy wanted, fetched after the checkout: written now
    const checkout = newPolicy?.wantContent === undefined ? updated.checkout : withNewlyWritten(updated.checkout, await ws.head(), await writeNewlyWanted(ws, newPolicy.wantContent))
    const lockedChanged = checkout === null ? [] : await lockedChanges(ws, headBefore, await ws.head(), [...checkout.written, ...checkout.removed])
    const incomplete = syncIncompleteError(result)
    // heads seen and not applied (content missing): `gas status` says so rather than "up to date" by the old view
    if (serving === undefined && !deferContent) await recordPendingHeads(ws, advertisedHeads(connected.sessions, ws.config.branch), incomplete === null)
    // a file not written because the peers refused it is not "left out by selective sync"
    const refused = new Set(result.accessDenied.map((d) => d.path))
    for (const skip of checkout?.skipped ?? []) if (refused.has(skip.path)) skip.reason = 'content refused by the peers (E_ACCESS_DENIED)'
    const locks = opts.locks === undefined ? undefined : { ...(result.locks ?? { adopted: 0, rejected: [] }), ...await takeLockNotices(ws) }
    if (locks !== undefined) await pruneExpiredLocks(ws)
    return { ...result, locks, complete: incomplete === null, incomplete: incomplete?.toJSON() ?? null, trackers: connected.trackers, checkout, merge, queued, heldForWindow, lockedChanges: lockedChanged, routes: connected.routes, policyNotice: reloaded?.notice ?? null }
  } finally {
    if (serving === undefined) for (const session of connected.sessions) session.close()
    await arriving.discard()
    if (serving === undefined) await clearArrivingHeads(ws).catch(() => {}) // a record left behind names a pid that is gone: read as none
  }
}

/** Each peer's advertised head of `branch`, by the name its remote view has. */
function advertisedHeads (sessions: PeerSession[], branch: string): Map<string, ObjectId> {
  const heads = new Map<string, ObjectId>()
  for (const session of sessions) {
    const head = session.remoteRefs?.find((ref) => ref.name === `refs/heads/${branch}`)?.id
    if (head !== undefined) heads.set(safePeerName(session.name), head)
  }
  return heads
}

/** The sync's report with what connecting found: handshakes that failed, our own processes. */
export function withConnectReport (connected: ConnectedPeers, result: SyncResult): SyncResult {
  return { ...result, dropped: [...connected.dropped, ...result.dropped], ownProcesses: connected.ownProcesses + result.ownProcesses }
}
