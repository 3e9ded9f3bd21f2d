import { join } from 'node:path'
import { GasError } from '../../errors.js'
import type { ObjectId } from '../../objects/id.js'
import { ArrivingFiles, SYNC_LOOK_AHEAD } from '../../repo/arriving-files.js'
import type { CheckoutResult } from '../../repo/checkout.js'
import { writeNewlyWanted } from '../../sync/fetch-plan.js'
import type { Workspace } from '../../repo/workspace.js'
import { joinSwarm, trackerPeerId, type TrackerStatus } from '../discovery/discovery.js'
import { DirectConnections } from './direct-connections.js'
import { workspaceRtcConfig } from '../transport/ice-config.js'
import { connectPeers, identityOf, swarmIdOf, trackersOf, type ConnectedPeers, type ConnectOptions, type PeerRoute } from './connect-peers.js'
import type { WantContent } from '../../sync/want-set.js'
import { queueWantedContent } from './content-queue.js'
import { runQueue } from './queue-runner.js'
import { TransferLimits } from '../transport/transfer-limits.js'
import { helloScheduleOf, noPeerMaySend, rememberPeerSchedules } from './peer-schedules.js'
import type { PeerIdentity } from '../session/session.js'
import { takeLockNotices, type LockNotices } from '../../repo/lock-notices.js'
import { pruneExpiredLocks } from '../../repo/lock-store.js'
import type { LockExchange, LockExchangeReport } from './lock-exchange.js'
import { serveRepo, syncRepo, type AppliedRefs, type PeerSecurity, type SyncProgress, type SyncResult } from './sync-engine.js'
import type { ArrivingContent, ContentPolicy } from './content-pass.js'
import { changedPolicy, updateWorkspace, withNewlyWritten, type ReloadPolicy, type SyncMerge, type WorkspaceUpdate } from './workspace-update.js'
import { syncIncompleteError } from './sync-outcome.js'
import type { DirectSecurity } from '../transport/direct-proof.js'
import { startDirectService } from '../transport/direct-service.js'
import { startLanAnnouncer } from '../discovery/lan-discovery.js'
import type { Transport } from '../transport/transport.js'
import { noPeersError, type TrackerReport } from '../discovery/tracker-report.js'
import { traceMark } from '../../trace.js'

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

/**
 * `gas serve`: stays in the team's swarm and serves every peer that connects, until `signal` aborts.
 * A peer that misbehaves ends its own session only.
 */
export async function servePeers (opts: PeerNodeOptions & {
  signal: AbortSignal
  onPeer?: (event: { peer: string, state: 'connected' | 'closed', error?: string }) => void
  /** a tracker went down or came back (it is retried with backoff meanwhile) */
  onTracker?: (status: TrackerStatus) => void
  /** a tracker answered our announce: from now on it introduces us; `others` peers of the team are in the swarm */
  onAnnounced?: (tracker: string, others: number) => void
  /** where to listen for direct (TLS) connections, `HOST:PORT`; default the workspace's `listen`, else every interface on a free port; null: no direct path */
  listen?: string | null
  /** the direct listener is up at this address */
  onListening?: (address: { host: string, port: number }) => void
}): Promise<void> {
  const { ws } = opts
  const identity: PeerIdentity = identityOf(ws)
  // why: with every tracker down only unref'd reconnect timers remain, and node would end the
  // process (status 13, no message) under a command still awaiting this; a daemon stays up
  const keepAlive = setInterval(() => {}, 2 ** 30)
  // background work: follows the member's windows and backs off while the machine is busy
  const limits = await TransferLimits.start(ws, { backoff: true })
  // what peers learn of our windows in HELLO follows the schedule as it changes
  const tellSchedule = (): void => {
    const told = helloScheduleOf(limits.settings)
    if (told === undefined) delete identity.schedule
    else identity.schedule = told
  }
  tellSchedule()
  limits.onChange(tellSchedule)
  const queue = runQueue({
    ws,
    limits,
    fetch: async (o) => await fetchFromPeers({ ...opts, ...o }),
    onEvent: (e) => opts.onPeer?.({ peer: 'queue', state: e.state === 'started' ? 'connected' : 'closed', error: e.error })
  })
  /** processes (tracker peer ids) connected over the direct path: a WebRTC connection of theirs is the spare they close */
  const directFrom = new DirectConnections()
  /**
   * `webrtcFrom`: the tracker peer id of a WebRTC connection's remote process; `ownKey`: the direct
   * handshake proved our own member key (this member's sync, which hangs up once it sees that)
   */
  const serve = (transport: Transport, { webrtcFrom, ownKey = false }: { webrtcFrom?: string, ownKey?: boolean } = {}): void => {
    // why: a syncing peer that reached us both ways keeps the direct connection and closes the other, held back or replaced: no lost peer
    const spare = (): boolean => webrtcFrom !== undefined && directFrom.has(webrtcFrom)
    void serveRepo({ store: ws.store, refs: ws.refs, transport: limits.throttle(transport), identity, ...opts.security, locks: opts.locks }).then((session) => {
      // another process of this member (its sync): closed after HELLO, not a peer
      if (session.remote?.publicKey === identity.publicKey) return
      void rememberPeerSchedules(ws, [session]).catch(() => {})
      opts.onPeer?.({ peer: session.name, state: 'connected' })
      // a peer that said it wants nothing more and then hung up finished normally
      session.onClose((err) => opts.onPeer?.({ peer: session.name, state: 'closed', error: session.remoteDone || spare() ? undefined : err?.message }))
    }, (err: Error) => { if (!spare() && !ownKey) opts.onPeer?.({ peer: peerNameOf(err) ?? transport.remoteLabel, state: 'closed', error: err.message }) })
  }
  const listen = opts.listen === undefined ? ws.config.listen : opts.listen
  // a serve reached only at its direct address needs no tracker
  const trackers = opts.security.direct !== undefined && listen !== null && opts.trackers.length === 0 && ws.config.trackers.length === 0 ? [] : trackersOf(opts)
  const direct = opts.security.direct === undefined || listen === null
    ? undefined
    : await startDirectService({
      listen,
      peerId: identity.peerId,
      publicKey: identity.publicKey,
      teamId: identity.teamId,
      security: opts.security.direct,
      trackers,
      onPeer: (peer) => {
        directFrom.add(trackerPeerId(peer.remote.peerId), peer.transport)
        serve(peer.transport, { ownKey: peer.remote.publicKey === identity.publicKey })
      },
      onRefused: (err, address) => opts.onPeer?.({ peer: `tcp ${address}`, state: 'closed', error: `${err.code}: ${err.message}` })
    }).catch(async (err) => { await queue.stop(); limits.close(); clearInterval(keepAlive); throw err })
  if (direct !== undefined) opts.onListening?.({ host: direct.listener.host, port: direct.listener.port })
  const lan = direct === undefined || ws.config.lan === undefined ? undefined : await startLanAnnouncer({ ...ws.config.lan, teamId: identity.teamId, announce: direct.announce }).catch(async (err) => { await direct.close(); await queue.stop(); limits.close(); clearInterval(keepAlive); throw err })
  const swarm = trackers.length === 0
    ? undefined
    : await joinSwarm({
      trackers,
      swarmId: swarmIdOf(ws),
      peerId: identity.peerId,
      rtcConfig: opts.rtcConfig ?? await workspaceRtcConfig(ws.gasDir, trackers),
      onTrackerStatus: opts.onTracker,
      onSwarmSize: (others, tracker) => opts.onAnnounced?.(tracker, others),
      directAnnounce: direct?.announce,
      onTransport: (transport, info) => serve(transport, { webrtcFrom: info.remotePeerId })
    })
  await new Promise<void>((resolve) => {
    if (opts.signal.aborted) resolve()
    else opts.signal.addEventListener('abort', () => resolve(), { once: true })
  })
  await queue.stop()
  limits.close()
  clearInterval(keepAlive)
  await swarm?.leave()
  lan?.close()
  await direct?.close()
  await ws.store.flush()
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
  /** per connected peer: the ICE candidate pair that carried the sync (host, srflx or relay), and how long its handshake took */
  routes: PeerRoute[]
  /** lock records adopted and refused, and this member's leases that lost or were broken (told once) */
  locks?: LockExchangeReport & LockNotices
}

/**
 * `gas sync --once`: finds the team's reachable peers, exchanges refs, fetches what the rules want
 * from all of them at once, adopts fast-forwards, and brings the workspace files up to date.
 */
export async function syncWithPeers (opts: PeerNodeOptions & { onProgress?: (p: SyncProgress) => void, firstPeerWaitMs?: number, morePeersWaitMs?: number, aloneWaitMs?: number }): Promise<PeerSyncResult> {
  const { ws } = opts
  traceMark('sync start')
  const limits = await TransferLimits.start(ws)
  traceMark('limits read')
  const connected = await connectPeers({ ...opts, schedule: helloScheduleOf(limits.settings), wrapTransport: (t) => limits.throttle(t) }).catch((err) => { limits.close(); throw err })
  const { identity } = connected
  traceMark('peers connected')
  await rememberPeerSchedules(ws, connected.sessions)
  // no window open at our end, or at every peer's: versions, metadata and previews now, content queued for the window
  const deferContent = limits.contentRate <= 0 || noPeerMaySend(connected.sessions, Date.now())
  // the large files this sync brings are written while their chunks arrive; the checkout moves them into place
  const arriving = new ArrivingFiles(ws.fs, join(ws.gasDir, 'tmp'), { lookAhead: SYNC_LOOK_AHEAD })
  // the workspace is brought to the refs once they are applied, before the peers are told we are
  // done: a `.gasrules` or role that came with them decides what else to fetch on the same sessions
  let updated: WorkspaceUpdate | undefined
  let reloaded: Awaited<ReturnType<ReloadPolicy>> | undefined
  let newPolicy: ContentPolicy | undefined
  const policyAfterRefs = async (applied: AppliedRefs): Promise<ContentPolicy | undefined> => {
    if (applied.peers === 0) return undefined
    await ws.store.flush()
    updated = await updateWorkspace(ws, arriving, applied.conflicts)
    traceMark('checkout done')
    reloaded = await opts.reloadPolicy?.()
    newPolicy = reloaded === undefined ? undefined : changedPolicy(reloaded, opts.policyKey)
    return newPolicy
  }
  try {
    const result: SyncResult = withConnectReport(connected, await syncRepo({
      arriving,
      store: ws.store,
      refs: ws.refs,
      sessions: connected.sessions,
      identity,
      ...opts.security,
      wantContent: deferContent ? () => false : opts.wantContent,
      // why: with content deferred no tree is whole for the member's policy
      policyKey: deferContent ? undefined : opts.policyKey,
      contentOfHistory: opts.contentOfHistory,
      applyRefs: !deferContent,
      policyAfterRefs: deferContent ? undefined : policyAfterRefs,
      onProgress: opts.onProgress,
      who: ws.identity.name,
      lingerIdleMs: 1_000,
      locks: opts.locks
    }))
    // only our own processes answered, or every handshake failed: nobody to sync with
    if (result.peers === 0) throw noPeersError(connected.trackers, { dropped: result.dropped, ownProcesses: result.ownProcesses })
    traceMark('sync returned')
    await ws.store.flush()
    traceMark('store flushed')
    const queuedItems = deferContent ? await queueWantedContent(ws, { roots: result.roots, peers: result.perPeer.map((p) => p.name), wantContent: opts.wantContent }) : []
    const queued = { items: queuedItems.length, bytes: queuedItems.reduce((sum, i) => sum + i.bytes, 0), paths: queuedItems.map((i) => i.path) }
    updated ??= await updateWorkspace(ws, arriving, result.conflicts)
    reloaded ??= await opts.reloadPolicy?.()
    const { merge } = updated
    // the files the new policy wanted, fetched after the checkout: written now
    const checkout = newPolicy?.wantContent === undefined ? updated.checkout : withNewlyWritten(updated.checkout, await ws.head(), await writeNewlyWanted(ws, newPolicy.wantContent))
    const incomplete = syncIncompleteError(result)
    // a file not written because the peers refused it is not "left out by selective sync"
    const refused = new Set(result.accessDenied.map((d) => d.path))
    for (const skip of checkout?.skipped ?? []) if (refused.has(skip.path)) skip.reason = 'content refused by the peers (E_ACCESS_DENIED)'
    const locks = opts.locks === undefined ? undefined : { ...(result.locks ?? { adopted: 0, rejected: [] }), ...await takeLockNotices(ws) }
    if (locks !== undefined) await pruneExpiredLocks(ws)
    return { ...result, locks, complete: incomplete === null, incomplete: incomplete?.toJSON() ?? null, trackers: connected.trackers, checkout, merge, queued, routes: connected.routes, policyNotice: reloaded?.notice ?? null }
  } finally {
    await arriving.discard()
    limits.close()
    await connected.leave()
    traceMark('swarm left')
  }
}

export interface PeerFetchResult extends SyncResult {
  /** the peers that were connected and asked (their member names) */
  asked: string[]
}

/**
 * Fetches `roots` and everything below them (a file manifest's chunks, an asset's content, a
 * version's tree) from the team's reachable peers, without moving any ref or touching the
 * workspace: `gas fetch`, `gas fsck --repair`, a build fetch and the LFS agent build on it.
 * Objects already stored are not asked for again. A person waits for it (`interactive`, the
 * default): it asks the first peer that answers instead of waiting for every peer the tracker
 * counts, and for what that one did not have, the next one that answers, and so on.
 */
export async function fetchFromPeers (opts: FetchOptions): Promise<PeerFetchResult> {
  if (!Array.isArray(opts.roots)) throw GasError.badArgument('fetchFromPeers needs roots: the ids of the objects to fetch')
  if (opts.interactive === false) return (await fetchRound(opts)).result
  const asked = new Set<string>()
  let total: PeerFetchResult | undefined
  for (let roots = opts.roots; ;) {
    // each round goes as soon as a peer not asked yet answers; the first peers may not hold everything
    const round = await fetchRound({ ...opts, roots, enough: (sessions) => sessions.some((s) => !asked.has(s.name)) })
    const added = round.result.asked.filter((name) => !asked.has(name))
    for (const name of added) asked.add(name)
    total = total === undefined ? round.result : addRound(total, round.result)
    roots = round.result.missing
    if (roots.length === 0 || added.length === 0 || round.counted <= asked.size + round.result.ownProcesses) return total
  }
}

/** Two rounds' reports as one: what came in either, what is still missing after the second. */
function addRound (a: PeerFetchResult, b: PeerFetchResult): PeerFetchResult {
  return {
    ...b,
    fetched: { objects: a.fetched.objects + b.fetched.objects, bytes: a.fetched.bytes + b.fetched.bytes },
    wire: { sent: a.wire.sent + b.wire.sent, received: a.wire.received + b.wire.received },
    asked: [...new Set([...a.asked, ...b.asked])],
    // refused in an earlier round: not asked again (see SyncResult.accessDenied)
    accessDenied: [...a.accessDenied, ...b.accessDenied],
    perPeer: [...a.perPeer, ...b.perPeer],
    roots: a.roots
  }
}

type FetchOptions = PeerNodeOptions & Omit<ConnectOptions, 'ws' | 'trackers'> & {
  roots: ObjectId[]
  /** large files written while their chunks arrive (arriving-files.ts): the caller takes them, then discards the rest */
  arriving?: ArrivingContent
  onProgress?: (p: SyncProgress) => void
  signal?: AbortSignal
  /** false: wait for every peer the tracker counts before asking (default true: a person waits) */
  interactive?: boolean
}

/** One connect-and-fetch; `counted`: the most peers a tracker counted, to know whether others could be asked. */
async function fetchRound (opts: FetchOptions): Promise<{ result: PeerFetchResult, counted: number }> {
  const { ws } = opts
  // a person waits for this (`gas fetch`, `gas restore`): it moves now, at the window's rate or within the metadata budget outside windows
  const limits = opts.wrapTransport === undefined ? await TransferLimits.start(ws, { interactive: true }) : undefined
  const connected = await connectPeers(limits === undefined ? opts : { ...opts, wrapTransport: (t) => limits.throttle(t) }).catch((err) => { limits?.close(); throw err })
  // stopping (a window closing) closes the connections: objects in flight are lost or kept, nothing more is asked
  const stop = (): void => { void connected.leave() }
  opts.signal?.addEventListener('abort', stop, { once: true })
  if (opts.signal?.aborted === true) stop()
  try {
    const result = withConnectReport(connected, await syncRepo({
      store: ws.store,
      refs: ws.refs,
      sessions: connected.sessions,
      identity: connected.identity,
      ...opts.security,
      roots: opts.roots,
      arriving: opts.arriving,
      refRoots: false,
      applyRefs: false,
      wantContent: opts.wantContent,
      policyKey: opts.policyKey,
      onProgress: opts.onProgress,
      who: ws.identity.name,
      lingerIdleMs: 0
    }))
    if (result.peers === 0) throw noPeersError(connected.trackers, { dropped: result.dropped, ownProcesses: result.ownProcesses })
    await ws.store.flush()
    return { result: { ...result, asked: result.perPeer.map((p) => p.name) }, counted: Math.max(0, ...connected.trackers.map((t) => t.peers ?? 0)) }
  } finally {
    opts.signal?.removeEventListener('abort', stop)
    limits?.close()
    await connected.leave()
  }
}

/** The sync's report with what connecting found: handshakes that failed, our own processes. */
function withConnectReport (connected: ConnectedPeers, result: SyncResult): SyncResult {
  return { ...result, dropped: [...connected.dropped, ...result.dropped], ownProcesses: connected.ownProcesses + result.ownProcesses }
}

/** The remote's name when a handshake failure knows it (a refusal it sent, after its HELLO) */
function peerNameOf (err: unknown): string | undefined {
  const peer = (err as GasError | undefined)?.data?.peer
  return typeof peer === 'string' ? peer : undefined
}
