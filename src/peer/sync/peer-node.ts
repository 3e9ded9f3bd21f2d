import { GasError } from '../../errors.js'
import type { ObjectId } from '../../objects/id.js'
import { joinSwarm, trackerPeerId, type TrackerStatus } from '../discovery/discovery.js'
import { DirectConnections } from './direct-connections.js'
import { workspaceRtcConfig } from '../transport/ice-config.js'
import { connectPeers, identityOf, swarmIdOf, trackersOf, type ConnectOptions } from './connect-peers.js'
import { runQueue } from './queue-runner.js'
import { TransferLimits } from '../transport/transfer-limits.js'
import { helloScheduleOf, rememberPeerSchedules } from './peer-schedules.js'
import type { PeerIdentity } from '../session/session.js'
import { syncRepo, type SyncProgress, type SyncResult } from './sync-engine.js'
import { serveRepo } from './serve-repo.js'
import { servePull, type ServePolicy, type ServePulled } from './serve-pull.js'
import type { ArrivingContent } from './content-pass.js'
import { startDirectService } from '../transport/direct-service.js'
import { startLanAnnouncer } from '../discovery/lan-discovery.js'
import type { Transport } from '../transport/transport.js'
import { noPeersError } from '../discovery/tracker-report.js'
import { traceMark } from '../../trace.js'
import { loadCachedRead } from '../../pack/cached-read.js'
import { syncConnected, withConnectReport, type PeerNodeOptions, type PeerSyncResult, type SyncConnectedOptions } from './sync-connected.js'

export type { PeerNodeOptions, PeerSyncResult } from './sync-connected.js'

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
  /** false: only answer, never take the versions a member that connects has ahead (serve-pull.ts); default true */
  pull?: boolean
  /** the rules versions are taken under (default: every asset's content) */
  policy?: ServePolicy
  /** versions taken from a member, or why that failed */
  onPulled?: (pulled: ServePulled) => void
}): Promise<void> {
  const { ws } = opts
  const identity: PeerIdentity = identityOf(ws)
  // why: with every tracker down only unref'd reconnect timers remain, and node would end the
  // process (status 13, no message) under a command still awaiting this; a daemon stays up
  const keepAlive = setInterval(() => {}, 2 ** 30)
  // why: a serve lives for hours; loading the pack reads' FFI call now spares the first member's first content request ~30 ms (koffi's load, measured)
  setImmediate(loadCachedRead)
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
  const pull = opts.pull === false ? undefined : servePull({ node: opts, identity, limits, policy: opts.policy, onPulled: opts.onPulled })
  /** processes (tracker peer ids) connected over the direct path: a WebRTC connection of theirs is the spare they close */
  const directFrom = new DirectConnections()
  /**
   * `webrtcFrom`: the tracker peer id of a WebRTC connection's remote process; `ownKey`: the direct
   * handshake proved our own member key (this member's sync, which hangs up once it sees that)
   */
  const serve = (transport: Transport, { webrtcFrom, ownKey = false }: { webrtcFrom?: string, ownKey?: boolean } = {}): void => {
    // why: a syncing peer that reached us both ways keeps the direct connection and closes the other, held back or replaced: no lost peer
    const spare = (): boolean => webrtcFrom !== undefined && directFrom.has(webrtcFrom)
    void serveRepo({ store: ws.store, refs: ws.refs, transport: limits.throttle(transport), identity, ...opts.security, locks: opts.locks, pull }).then((session) => {
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

/**
 * `gas sync --once`: finds the team's reachable peers, exchanges refs, fetches what the rules want
 * from all of them at once, adopts fast-forwards, and brings the workspace files up to date.
 */
export async function syncWithPeers (opts: SyncConnectedOptions & { firstPeerWaitMs?: number, morePeersWaitMs?: number, aloneWaitMs?: number }): Promise<PeerSyncResult> {
  traceMark('sync start')
  const limits = await TransferLimits.start(opts.ws)
  traceMark('limits read')
  try {
    const connected = await connectPeers({ ...opts, schedule: helloScheduleOf(limits.settings), wrapTransport: (t) => limits.throttle(t) })
    traceMark('peers connected')
    try {
      return await syncConnected(opts, connected, limits)
    } finally {
      await connected.leave()
      traceMark('swarm left')
    }
  } finally {
    limits.close()
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

/** The remote's name when a handshake failure knows it (a refusal it sent, after its HELLO) */
function peerNameOf (err: unknown): string | undefined {
  const peer = (err as GasError | undefined)?.data?.peer
  return typeof peer === 'string' ? peer : undefined
}
