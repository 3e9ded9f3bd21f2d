import { randomBytes } from 'node:crypto'
import { GasError } from '../../errors.js'
import type { Workspace } from '../../repo/workspace.js'
import { CONNECT_TIMEOUT_MS, joinSwarm, trackerPeerId, type Swarm as TrackerSwarm, type TrackerStatus } from '../discovery/discovery.js'
import { DirectDialer } from '../transport/direct-dialer.js'
import { queryLan } from '../discovery/lan-discovery.js'
import type { DirectPeer } from '../transport/direct-handshake.js'
import type { DirectSecurity } from '../transport/direct-proof.js'
import { noRouteError, workspaceRtcConfig } from '../transport/ice-config.js'
import { DIRECT_ATTEMPT_MS, RelayFallback } from '../transport/relay-fallback.js'
import type { WebRtcRoute } from '../transport/webrtc-transport.js'
import type { HelloSchedule } from '../wire/messages.js'
import { systemClock, type Clock } from '../../clock.js'
import type { PeerIdentity, PeerSession } from '../session/session.js'
import { openSessions } from './open-sessions.js'
import { HeldForDirect } from './held-for-direct.js'
import { LatePeers } from './late-peers.js'
import type { PeerSecurity } from './sync-engine.js'
import type { DroppedPeer } from '../swarm/swarm.js'
import { diagnoseTracker, MEMBERSHIP_REFUSALS, noPeersError, type TrackerReport } from '../discovery/tracker-report.js'
import type { Transport } from '../transport/transport.js'
import { traceMark } from '../../trace.js'

/**
 * How long a one-shot command (`gas sync --once`, `gas fetch`, a build fetch, the LFS agent)
 * waits for the first peer, then for more after it (peers found together fetch together). The
 * second wait ends early once every peer the tracker counts is connected.
 */
export const FIRST_PEER_WAIT_MS = 5_000
export const MORE_PEERS_WAIT_MS = 1_000
/** why: peers found by one announce connect within a few ms of each other; an interactive command takes them together */
export const INTERACTIVE_GRACE_MS = 150
/**
 * why: when a tracker counts peers, they are online; a handshake on a loaded machine can take
 * seconds and a lost one is retried after CONNECT_TIMEOUT_MS (10 s), so give counted peers two tries.
 */
export const COUNTED_PEERS_WAIT_MS = 25_000
/**
 * why: a direct attempt to a peer already in session over WebRTC is an upgrade worth a short wait
 * (on a LAN it takes milliseconds); an address that does not answer (another site's private
 * network) must not hold the sync up for the whole handshake timeout
 */
export const DIRECT_UPGRADE_WAIT_MS = 1_500
/** why: the least a held WebRTC connection waits for the direct path, however fast WebRTC came up (a loaded machine's TLS handshake) */
export const DIRECT_UPGRADE_MIN_WAIT_MS = 500

/**
 * How long a WebRTC connection that took `webrtcSetupMs` is held for the direct path: as long
 * again, within DIRECT_UPGRADE_MIN_WAIT_MS..DIRECT_UPGRADE_WAIT_MS. why: a direct address that
 * answers is up by then (its attempt starts with the WebRTC answer, and TCP with TLS takes fewer
 * round trips than ICE, DTLS and SCTP); waiting longer only holds the sync up behind one that does
 * not (a peer behind NAT announcing its private address: 1.5 s per sync, seen across namespaces).
 */
export function directUpgradeWaitMs (webrtcSetupMs: number): number {
  return Math.min(DIRECT_UPGRADE_WAIT_MS, Math.max(DIRECT_UPGRADE_MIN_WAIT_MS, webrtcSetupMs))
}
/** why: an announce whose offers all went unanswered is repeated, backing off so a dead swarm costs little */
export const REANNOUNCE_FIRST_MS = 2_000

export interface ConnectOptions {
  ws: Workspace
  trackers: string[]
  /** HELLO signing/verification: a peer counts once its handshake passed; `direct` enables the direct (TLS) path */
  security: Pick<PeerSecurity, 'sign' | 'verify' | 'mayServe'> & { direct?: DirectSecurity }
  /** direct addresses (`HOST:PORT`) to try besides the workspace's (`gas team peer`) */
  peers?: string[]
  rtcConfig?: Record<string, unknown>
  firstPeerWaitMs?: number
  /**
   * the wait for a first peer once every tracker answered that no other peer is in the swarm
   * (default: firstPeerWaitMs); a command a person waits for need not wait long for nobody
   */
  aloneWaitMs?: number
  morePeersWaitMs?: number
  countedPeersWaitMs?: number
  clock?: Clock
  /** a peer that connects after the wait (e.g. another one-shot command) is handed here instead of opening a session nobody uses */
  onLateTransport?: (transport: Transport) => void
  /** our transfer windows, told in HELLO */
  schedule?: HelloSchedule
  /** wraps each connection (rate limits) before it is used */
  wrapTransport?: (transport: Transport) => Transport
  /**
   * a person waits: stop waiting once these sessions will do (and INTERACTIVE_GRACE_MS more for
   * peers arriving with them), instead of waiting for every peer the tracker counts
   */
  enough?: (sessions: PeerSession[]) => boolean
}

/**
 * What carries a connection and how long its handshake took: `webrtc` with its ICE candidate
 * pair, or `tcp` (the direct path, TLS) with `type` 'direct' and both socket addresses.
 */
export type PeerRoute = (WebRtcRoute | { type: 'direct', local: string, remote: string }) & { peer: string, setupMs: number, transport: 'webrtc' | 'tcp', member?: string }

export interface ConnectedPeers {
  identity: PeerIdentity
  /** peers whose HELLO passed, open */
  sessions: PeerSession[]
  /** peers whose handshake failed (another connection to them was tried while waiting) */
  dropped: DroppedPeer[]
  /** connections to processes of this same member, closed after HELLO */
  ownProcesses: number
  /** what each tracker answered, for the report of a sync that found no usable peer */
  trackers: TrackerReport[]
  /** what carries each connection: the ICE candidate pair, or the direct TCP path */
  routes: PeerRoute[]
  /** leaves the swarm: closes every connection it made */
  leave: () => Promise<void>
}

export function identityOf (ws: Workspace): PeerIdentity {
  return { peerId: randomBytes(32).toString('hex'), name: ws.identity.name, publicKey: ws.identity.publicKey, teamId: ws.config.team?.id ?? null }
}

export function swarmIdOf (ws: Workspace): string {
  const team = ws.config.team
  if (team === null) throw GasError.badArgument('this workspace has no team: make one with `gas team create NAME`, or join one with `gas team join INVITE` first')
  return team.id
}

export function trackersOf (opts: { ws: Workspace, trackers: string[] }): string[] {
  const trackers = opts.trackers.length > 0 ? opts.trackers : opts.ws.config.trackers
  if (trackers.length === 0) throw GasError.badArgument('no tracker: pass --tracker ws://HOST:PORT or set one with `gas team tracker URL`')
  return trackers
}

interface TrackerSeen { status?: TrackerStatus, others?: number }

/**
 * Joins the team's swarm, runs HELLO with each peer found, and waits for the peers: for every
 * peer a tracker counts (up to COUNTED_PEERS_WAIT_MS, announcing again with backoff while some
 * are missing, so a handshake that failed gets another connection), and while none is counted,
 * up to FIRST_PEER_WAIT_MS for one to appear. Once one is in, the others get until
 * FIRST_PEER_WAIT_MS, or MORE_PEERS_WAIT_MS after the last arrival if that is later. A process
 * of this same member (same key) is closed after HELLO and counts as settled, not as a peer.
 * A caller a person waits for says when the peers in session are `enough`: the wait ends
 * INTERACTIVE_GRACE_MS after the last arrival then. Throws `E_NO_PEERS`, saying what each tracker answered, when no peer connected.
 */
export async function connectPeers (opts: ConnectOptions): Promise<ConnectedPeers> {
  const { ws } = opts
  const clock = opts.clock ?? systemClock
  const identity = { ...identityOf(ws), ...(opts.schedule !== undefined ? { schedule: opts.schedule } : {}) }
  const directAddresses = [...new Set([...(opts.peers ?? []), ...(ws.config.peers ?? [])])]
  const directSecurity = opts.security.direct
  // a team reached only through direct addresses needs no tracker
  const lan = directSecurity !== undefined ? ws.config.lan : undefined
  const urls = directSecurity !== undefined && (directAddresses.length > 0 || lan !== undefined) && opts.trackers.length === 0 && ws.config.trackers.length === 0 ? [] : trackersOf(opts)
  const rtcConfig = urls.length === 0 ? {} : opts.rtcConfig ?? await workspaceRtcConfig(ws.gasDir, urls)
  // a team with a TURN relay tries it after a direct attempt failed: wait for that too
  const firstWait = opts.firstPeerWaitMs ?? (new RelayFallback(rtcConfig).available ? FIRST_PEER_WAIT_MS + DIRECT_ATTEMPT_MS : FIRST_PEER_WAIT_MS)
  const routes: PeerRoute[] = []
  /** WebRTC connections that opened, whatever their handshake's outcome */
  let connections = 0
  const moreWait = opts.morePeersWaitMs ?? MORE_PEERS_WAIT_MS
  const countedWait = Math.max(firstWait, opts.countedPeersWaitMs ?? COUNTED_PEERS_WAIT_MS)
  const sessions: PeerSession[] = []
  const dropped: DroppedPeer[] = []
  const unanswered: DroppedPeer[] = []
  let ownProcesses = 0
  /** remote processes (tracker peer ids) whose handshake was refused for who they are: waiting longer changes nothing */
  const refused = new Set<string>()
  let handshaking = 0
  /** still waiting for peers: later arrivals go to onLateTransport, else are served only (late) */
  let waiting = true
  const late = new LatePeers(ws.refs, clock)
  const leave = async (): Promise<void> => {
    await late.leave()
    await swarm.leave()
  }
  const seen = new Map<string, TrackerSeen>(urls.map((url) => [url, {}]))
  let changed: () => void = () => {}
  /** the kind of connection each remote process (HELLO peerId) is in session over: one session per process, direct preferred */
  const sessionOf = new Map<string, { session: PeerSession, route?: PeerRoute }>()
  /** remote processes (tracker peer ids) in session over the direct path: their WebRTC connections are not needed */
  const direct = new Set<string>()
  /** our own processes (tracker peer ids) already counted: one may answer over both paths */
  const own = new Set<string>()
  /** WebRTC connections to processes whose direct path is being tried: no HELLO over them unless it fails */
  const held = new HeldForDirect({ clock, waitMs: DIRECT_UPGRADE_WAIT_MS })
  /** processes (tracker peer ids) whose announced direct address is being tried or answered */
  const reaching = new Set<string>()
  /** `remote`: the tracker peer id of the process at the other end */
  const admit = (transport: Transport, remote: string, route: Omit<PeerRoute, 'peer'> | undefined): void => {
    if (!waiting && opts.onLateTransport !== undefined) return opts.onLateTransport(transport)
    handshaking++
    void openSessions([transport], ws.store, { identity, ...opts.security }, clock).then((opened) => {
      handshaking--
      traceMark(`hello done (${route?.transport ?? '?'}): ${opened.sessions.length} session(s)`)
      // the direct path did not give a session: a WebRTC connection held for it is used after all
      if (route?.transport === 'tcp' && opened.sessions.length === 0) held.release(remote)
      for (const session of opened.sessions) {
        const remoteId = session.remote?.peerId === undefined ? remote : trackerPeerId(session.remote.peerId)
        if (!waiting) {
          late.add(session)
          continue
        }
        const viaTcp = route?.transport === 'tcp'
        if (viaTcp) held.spare(remoteId)
        const existing = sessionOf.get(remoteId)
        // two connections to one process: keep the direct one (or the first)
        if (existing !== undefined && (existing.route?.transport === 'tcp' || !viaTcp)) {
          void session.sendDone().catch(() => {}).finally(() => session.close()) // DONE first: the serving peer sees a normal end, not a lost transfer
          continue
        }
        if (existing !== undefined) {
          void existing.session.sendDone().catch(() => {}).finally(() => existing.session.close())
          sessions.splice(sessions.indexOf(existing.session), 1)
          if (existing.route !== undefined) routes.splice(routes.indexOf(existing.route), 1)
        }
        const peerRoute = route === undefined ? undefined : { peer: remoteId, member: session.name, ...route } as PeerRoute
        if (viaTcp) direct.add(remoteId)
        sessionOf.set(remoteId, { session, route: peerRoute })
        sessions.push(session)
        if (peerRoute !== undefined) routes.push(peerRoute)
      }
      dropped.push(...opened.dropped)
      if (opened.sessions.length === 0 && opened.own === 0 && opened.dropped.some((d) => MEMBERSHIP_REFUSALS.has(d.code))) refused.add(remote)
      if (opened.own > 0 && !own.has(remote)) {
        own.add(remote)
        ownProcesses += opened.own
      }
      changed()
    })
  }
  const dialer = directSecurity === undefined
    ? undefined
    : new DirectDialer({
      peerId: identity.peerId,
      security: directSecurity,
      clock,
      onPeer: (peer: DirectPeer, setupMs) => {
        traceMark(`tcp connected + proof ${peer.address} (${Math.round(setupMs)} ms)`)
        connections++
        admit(opts.wrapTransport?.(peer.transport) ?? peer.transport, trackerPeerId(peer.remote.peerId), { transport: 'tcp', type: 'direct', local: `${peer.transport.socket.localAddress ?? '?'}:${peer.transport.socket.localPort ?? 0}`, remote: peer.address, setupMs: Math.round(setupMs) })
      },
      onFailed: (address, err, announcedBy) => {
        // a connection was made and its proof refused: no "no route" (onChange follows, and counts it)
        if (announcedBy !== undefined && MEMBERSHIP_REFUSALS.has(err.code)) {
          connections++
          refused.add(trackerPeerId(announcedBy))
        }
        if (err.code === 'E_AUTH') dropped.push({ peer: address, code: err.code, message: err.message })
        // why: when nothing answers, an address the member named is worth naming (a revoked key is hung up on in silence)
        else if (directAddresses.includes(address)) unanswered.push({ peer: address, code: err.code, message: err.message })
      },
      onChange: () => changed()
    })
  for (const address of directAddresses) dialer?.dialConfigured(address)
  // a LAN that does not carry multicast leaves the other ways to find peers
  const lanQuery = dialer === undefined || lan === undefined ? undefined : await queryLan({ ...lan, teamId: identity.teamId, onAnnounce: (a) => dialer.dialAnnounced(a) }).catch(() => undefined)
  const swarm: TrackerSwarm = urls.length === 0
    ? noTrackerSwarm(identity.peerId)
    : await joinSwarm({
      trackers: urls,
      swarmId: swarmIdOf(ws),
      peerId: identity.peerId,
      rtcConfig,
      onTransport: (raw, info) => {
        // already in session over the direct path: this connection is a spare
        if (direct.has(info.remotePeerId)) return raw.close()
        connections++
        const transport = opts.wrapTransport?.(raw) ?? raw
        const use = (): void => admit(transport, info.remotePeerId, info.route === undefined ? undefined : { transport: 'webrtc', ...info.route, setupMs: Math.round(info.setupMs) })
        if (!reaching.has(info.remotePeerId)) return use()
        traceMark('webrtc connected: held for the direct path')
        // counts as a handshake under way, so the wait for peers does not end on it
        handshaking++
        held.hold(info.remotePeerId, transport, use, () => { handshaking--; changed() }, directUpgradeWaitMs(info.setupMs))
      },
      onDirectAnnounce: (remote, announce) => {
        traceMark('direct announce received')
        const attempt = dialer?.dialAnnounced(announce)
        if (attempt === undefined) return
        reaching.add(remote)
        void attempt.then((reached) => {
          if (reached) return
          reaching.delete(remote)
          held.release(remote)
        })
      },
      onSwarmSize: (others, tracker) => { traceMark(`tracker answered: ${others} other(s)`); seen.set(tracker, { ...seen.get(tracker), others }); changed() },
      onTrackerStatus: (status) => { traceMark(`tracker ${status.state}`); seen.set(status.tracker, { ...seen.get(status.tracker), status }); changed() }
    })
  traceMark('swarm joined')
  const started = clock.now()
  const counted = (): number => Math.max(0, ...[...seen.values()].map((s) => s.others ?? 0))
  /** peers that need no more waiting for: in session, our own processes, or refused for who they are */
  const settledPeers = (): number => sessions.length + ownProcesses + [...refused].filter((r) => !sessionOf.has(r)).length
  try {
    await new Promise<void>((resolve) => {
      let lastArrival = started
      let known = 0
      let reannounceMs = REANNOUNCE_FIRST_MS
      let settled = false
      let cancelWake = (): void => {}
      let cancelReannounce = (): void => {}
      const done = (): void => {
        settled = true
        cancelWake()
        cancelReannounce()
        resolve()
      }
      const wakeIn = (ms: number): void => {
        cancelWake()
        cancelWake = clock.after(Math.max(0, ms), () => changed())
      }
      const reannounce = (): void => {
        if (settled) return
        // offers lost or unanswered, or a handshake failed: fresh offers reach the counted peers we still miss
        // not while a WebRTC handshake runs: fresh offers would replace it (discovery.ts)
        if (counted() > settledPeers() + handshaking && !swarm.routesTried().some((r) => r.live)) swarm.announce()
        reannounceMs *= 2
        cancelReannounce = clock.after(reannounceMs, reannounce)
      }
      changed = () => {
        if (settled) return
        const now = clock.now()
        if (sessions.length > known) {
          known = sessions.length
          lastArrival = now
        }
        const elapsed = now - started
        let until: number
        if (sessions.length > 0) {
          // a process in session over WebRTC already had its wait for the direct path (held-for-direct)
          const dialing = dialer?.runningWithin(DIRECT_UPGRADE_WAIT_MS, (peerId) => sessionOf.has(trackerPeerId(peerId))) ?? 0
          if (settledPeers() >= counted() && handshaking + dialing === 0) return done()
          until = opts.enough?.(sessions) === true ? lastArrival - started + INTERACTIVE_GRACE_MS : Math.max(firstWait, lastArrival - started + moreWait)
          // only direct attempts left: look again when they stop counting
          if (settledPeers() >= counted() && handshaking === 0) until = Math.min(until, elapsed + DIRECT_UPGRADE_WAIT_MS)
        } else {
          // only processes of this same member answered (its own `gas serve`): nobody left to wait for
          if (counted() > 0 && settledPeers() >= counted() && handshaking + (dialer?.running ?? 0) === 0) return done()
          // every tracker said no other member is online, or cannot be reached at all (and no LAN query listens): nobody can introduce a peer
          const alone = opts.aloneWaitMs !== undefined && seen.size > 0 && [...seen.values()].every((s) => s.others === 0 || (s.others === undefined && s.status?.state === 'down' && lanQuery === undefined)) && handshaking + (dialer?.running ?? 0) === 0
          until = counted() > 0 ? countedWait : alone ? Math.min(firstWait, opts.aloneWaitMs ?? firstWait) : firstWait
        }
        if (elapsed >= until) return done()
        wakeIn(until - elapsed)
      }
      cancelReannounce = clock.after(reannounceMs, reannounce)
      changed()
    })
    // a handshake still running when the wait ends gets to finish (a loaded machine, a relay)
    const deadline = clock.now() + CONNECT_TIMEOUT_MS
    while (sessions.length === 0 && !(counted() > 0 && settledPeers() >= counted()) && (handshaking + (dialer?.running ?? 0) > 0 || swarm.routesTried().some((r) => r.live)) && clock.now() < deadline) {
      await new Promise<void>((resolve) => { clock.after(100, resolve) })
    }
    waiting = false
    held.closeAll()
    traceMark('wait for peers over')
    dialer?.stop()
    lanQuery?.close()
    // peers were introduced but no candidate pair reached one: say which were tried
    if (connections === 0 && swarm.routesTried().length > 0) throw noRouteError(swarm.routesTried())
    if (sessions.length === 0) throw noPeersError(await reportTrackers(seen, 0, refused.size, ownProcesses), { dropped: [...dropped, ...unanswered], ownProcesses })
  } catch (err) {
    held.closeAll()
    dialer?.stop()
    lanQuery?.close()
    for (const session of sessions) session.close()
    await leave()
    throw err
  }
  return { identity, sessions, dropped, ownProcesses, routes, trackers: await reportTrackers(seen, sessions.length), leave }
}

/**
 * What each tracker answered; a tracker that never came up is probed once for the cause. `refused`:
 * peers that answered and whose handshake was refused (not offline: the reasons are in `dropped`).
 */
async function reportTrackers (seen: Map<string, TrackerSeen>, connected: number, refused = 0, own = 0): Promise<TrackerReport[]> {
  return await Promise.all([...seen].map(async ([tracker, s]): Promise<TrackerReport> => {
    if (s.others !== undefined) {
      if (connected > 0) return { tracker, answer: 'ok', peers: s.others, detail: `${s.others} other peer(s) in the swarm` }
      // a peer that announced after our last answer can still reach us, and be refused: not "no peer"
      if (refused > 0) {
        const counted = s.others === 0 ? 'its last answer counted no other peer, one announced since' : `it counts ${s.others} other peer(s)`
        return { tracker, answer: 'peers-offline', peers: Math.max(s.others, refused), detail: `${counted}; ${refused} answered and the handshake was refused (why: below)` }
      }
      if (s.others === 0) return { tracker, answer: 'no-other-peer', peers: 0, detail: 'no other peer of the team is in the swarm: is `gas serve` running on another member\'s machine?' }
      // why: the tracker counts our own `gas serve` as another peer; it answered, so "offline, or no path" was wrong
      if (s.others <= own) return { tracker, answer: 'no-other-peer', peers: s.others, detail: `the ${s.others === 1 ? 'peer' : `${s.others} peers`} it counts ${s.others === 1 ? 'is' : 'are'} this member's own (its \`gas serve\`), which answered: no other member of the team is online` }
      const detail = `it counts ${s.others} other peer(s) but none connected: offline, or no WebRTC path to them`
      return { tracker, answer: 'peers-offline', peers: s.others, detail }
    }
    if (s.status?.state === 'up') return { tracker, answer: 'no-answer', detail: 'connected but never answered the announce: not a gas tracker at that URL?' }
    const diagnosis = await diagnoseTracker(tracker)
    return { tracker, ...diagnosis, detail: s.status?.error !== undefined && diagnosis.answer === 'no-answer' ? `${s.status.error}, though it ${diagnosis.detail}` : diagnosis.detail }
  }))
}

/** Stands in for the tracker swarm when the team is reached through direct addresses only. */
function noTrackerSwarm (peerId: string): TrackerSwarm {
  return { peerId, routesTried: () => [], remotePeerIds: [], announce: () => {}, leave: async () => {} }
}
