import { GasError, isGasError } from '../../errors.js'
import { isProcessAlive } from '../../objects/process-alive.js'
import { checkoutHead } from '../../repo/checkout.js'
import { lockHolder } from '../../repo/workspace-lock.js'
import type { Workspace } from '../../repo/workspace.js'
import type { CheckoutResult } from '../../repo/checkout.js'
import { asGasError, type PeerIdentity, type PeerSession } from '../session/session.js'
import type { TransferLimits } from '../transport/transfer-limits.js'
import { isAncestor, isSharedRef, isTeamRef, remoteRefName, type RefConflict, type RemoteRef } from './ref-exchange.js'
import { safePeerName } from './sync-engine.js'
import type { ObjectId } from '../../objects/id.js'
import { syncConnected, type PeerNodeOptions, type PeerSyncResult } from './sync-connected.js'
import { lfsLacked, recordTakenLfs } from './serve-lfs.js'
import { dropArrived, queuedFrom } from './content-queue.js'
import { peerWindowClosed } from './peer-schedules.js'

/** The rules a serve takes a member's versions under, read again for each (a `.gasrules` may have changed meanwhile). */
export type ServePolicy = () => Promise<Pick<PeerNodeOptions, 'wantContent' | 'policyKey' | 'contentOfHistory' | 'reloadPolicy'>>

/**
 * What a serve took from a member that connected with versions it lacked: the sync's result, or
 * why it failed; or, later, the checkout it could not do then (the workspace was locked), done.
 */
export interface ServePulled {
  peer: string
  result?: PeerSyncResult
  error?: GasError
  checkedOut?: CheckoutResult
  /** Git LFS objects of the member's now held here (serve-lfs.ts) */
  lfsTaken?: number
  /** items of the transfer queue that came with this take (content a sync of the member's left for a window) */
  queueTaken?: number
}

/** why: well inside a member's linger idle time (5 s), so a BUSY always arrives before it would leave */
export const BUSY_INTERVAL_MS = 2_000

/** why: a command holding the workspace (a restore of a large file) takes seconds; the files follow the branch soon after it ends */
export const CHECKOUT_RETRY_MS = 2_000

export interface ServePullOptions {
  node: PeerNodeOptions
  identity: PeerIdentity
  limits: TransferLimits
  policy?: ServePolicy
  onPulled?: (pulled: ServePulled) => void
}

/**
 * What `gas serve` does with a member that connects with a version it lacks (a shared or team ref
 * whose value is not here): the sync `gas sync --once` would run with that member, on the
 * member's own session, once the member is done: its versions fetched with what this workspace's
 * rules want, fast-forwards adopted and checked out (local edits kept, as conflicts), its team
 * records adopted; a diverged branch merged only when built on what we showed the member
 * (builtOnOurs). The member's sync waits for it (it serves us until we say done) and learns that
 * we took its refs (we advertise ours again before saying done).
 *
 * why: a member who commits, syncs with the team's serve and closes the laptop left the work on
 * the laptop: the serve only answered, so the others got it only while that member was online,
 * and the member running the serve never did. Now the always-on serve keeps it for the team.
 * One member at a time: two checkouts of one workspace would wait on each other's lock; a member
 * that connects meanwhile waits its turn, told so (BUSY) so that its sync lingers until then
 * (a member of an older build leaves at its idle time, and its next sync brings the rest).
 */
export function servePull (opts: ServePullOptions): (session: PeerSession, theirs: RemoteRef[], ours: RemoteRef[]) => Promise<boolean> {
  let turn: Promise<void> = Promise.resolve()
  // turns given out and turns over: a member's place in line is its turn minus the ones over
  let given = 0
  let over = 0
  const { ws } = opts.node
  return async (session, theirs, ours) => {
    const lfs = await lfsLacked(ws, theirs)
    const queued = mayFetchContent(opts.limits, session) ? await queuedFrom(ws, session.name) : []
    if (lfs.length === 0 && queued.length === 0 && !(await lacksAny(ws, theirs, session.name))) return false
    // a command of this member's holds the workspace: its versions stay with the member until its next sync, rather than move the branch under that command
    const holder = await lockHolder(ws.fs, ws.gasDir)
    if (holder !== undefined && holder.pid !== process.pid && isProcessAlive(holder.pid)) {
      opts.onPulled?.({ peer: session.name, error: new GasError('E_LOCKED', `the workspace is locked by pid ${holder.pid} (${holder.command})`) })
      return false
    }
    const place = given++
    const stopWaiting = waitingTurn(session, () => place - over)
    const mine = turn.then(async () => {
      stopWaiting()
      await pullFrom(opts, session, ours, lfs, queued)
    })
    turn = mine.catch(() => {})
    try {
      await mine
    } finally {
      over++
      stopWaiting()
    }
    return true
  }
}

/**
 * While a member waits for its turn: BUSY with how many are before it, now and every
 * BUSY_INTERVAL_MS, so its sync waits rather than leave at its idle time (5 s) with its versions still on it.
 */
function waitingTurn (session: PeerSession, ahead: () => number): () => void {
  const say = (): void => {
    const n = ahead()
    if (n > 0 && !session.closed) void session.sendBusy(n).catch(() => {})
  }
  say()
  const timer = setInterval(say, BUSY_INTERVAL_MS)
  timer.unref()
  return () => clearInterval(timer)
}

/**
 * A ref the remote advertises whose value is new here: a version, tag, build or team record of
 * theirs we do not hold, or a shared ref's value we hold without having taken it (a take cut off
 * mid-way leaves the versions it fetched, not their files; `peer`'s value is recorded under
 * refs/remotes/ once a take applied it, as a move, a conflict or one we are ahead of).
 */
export async function lacksAny (ws: Workspace, theirs: RemoteRef[], peer: string): Promise<boolean> {
  const ours = new Map((await ws.refs.list()).map((ref) => [ref.name, ref.id]))
  for (const ref of theirs) {
    const shared = isSharedRef(ref.name)
    if (!shared && !isTeamRef(ref.name)) continue
    const local = ours.get(ref.name)
    if (local === ref.id) continue
    if (local === undefined || !(await ws.store.has(ref.id))) return true
    // why: the member's merge of ours, whose take was cut off, was held here and so never taken again: the member's work stayed on the member
    if (!shared || ours.get(remoteRefName(safePeerName(peer), ref.name)) === ref.id) continue
    if (!(await containedIn(ws, ref.id, local))) return true
  }
  return false
}

/** `id` is `local` or an ancestor of it: ours holds it already (a member behind us). */
async function containedIn (ws: Workspace, id: ObjectId, local: ObjectId): Promise<boolean> {
  try {
    return await isAncestor(ws.store, id, local)
  } catch {
    return false
  }
}

/** Content may move with this member now: a window is open here, and at the member's end. */
function mayFetchContent (limits: TransferLimits, session: PeerSession): boolean {
  return limits.contentRate > 0 && peerWindowClosed(session, Date.now()) === undefined
}

async function pullFrom (opts: ServePullOptions, session: PeerSession, ours: RemoteRef[], lfs: RemoteRef[], queued: ObjectId[]): Promise<void> {
  // gone while an earlier member's turn ran: its next sync brings the versions again
  if (session.closed) return
  try {
    const policy = await opts.policy?.()
    const connected = { identity: opts.identity, sessions: [session], dropped: [], ownProcesses: 0, trackers: [], routes: [], leave: async () => {} }
    // the member's queued items (content its earlier sync left for a window) are roots too: they come with its versions
    const result = await syncConnected({ ...opts.node, ...policy }, connected, opts.limits, { mergeable: async (c) => await builtOnOurs(opts.node.ws, c, ours), roots: [...lfs.map((ref) => ref.id), ...queued] })
    const lfsTaken = lfs.length === 0 ? undefined : await recordTakenLfs(opts.node.ws, lfs, `lfs: taken from ${session.name}`)
    const queueTaken = queued.length === 0 ? undefined : (await dropArrived(opts.node.ws, queued)).length
    opts.onPulled?.({ peer: session.name, result, ...(lfsTaken === undefined ? {} : { lfsTaken }), ...(queueTaken === undefined ? {} : { queueTaken }) })
  } catch (err) {
    opts.onPulled?.({ peer: session.name, error: asGasError(err) })
    // the member lingers until we say done: it must not wait out its idle time for nothing
    await session.sendDone().catch(() => {})
    // the branch moved and the workspace was taken meanwhile: its files follow once it is free
    if (isGasError(err, 'E_LOCKED')) void checkOutWhenFree(opts, session.name)
  }
}

/**
 * Whether a branch that diverged is ours to merge: the member's value descends from the one we
 * advertised when it connected, so it merged with (or built on) what it saw of ours, and the
 * divergence is our branch moving meanwhile (another member's versions taken while this one
 * synced). The member then fast-forwards to our merge; it made none of the pair. Any other
 * divergence (its own merge waiting on conflicts) is its to merge: recorded, not merged here.
 */
async function builtOnOurs (ws: Workspace, conflict: RefConflict, ours: RemoteRef[]): Promise<boolean> {
  const seen = ours.find((ref) => ref.name === conflict.ref)?.id
  return seen !== undefined && seen !== conflict.local && await isAncestor(ws.store, seen, conflict.remote)
}

async function checkOutWhenFree (opts: ServePullOptions, peer: string): Promise<void> {
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, CHECKOUT_RETRY_MS).unref())
    try {
      const checkedOut = await checkoutHead(opts.node.ws)
      if (checkedOut !== null) opts.onPulled?.({ peer, checkedOut })
      return
    } catch (err) {
      if (!isGasError(err, 'E_LOCKED')) return opts.onPulled?.({ peer, error: asGasError(err) })
    }
  }
}
