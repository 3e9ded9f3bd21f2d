import { randomBytes } from 'node:crypto'
import { GasError } from '../errors.js'
import type { Workspace } from '../repo/workspace.js'
import { CONNECT_TIMEOUT_MS, joinSwarm, type Swarm as TrackerSwarm, type TrackerStatus } from './discovery.js'
import { noRouteError, workspaceRtcConfig } from './ice-config.js'
import { DIRECT_ATTEMPT_MS, RelayFallback } from './relay-fallback.js'
import type { WebRtcRoute } from './webrtc-transport.js'
import type { HelloSchedule } from './messages.js'
import { systemClock, type Clock } from './ledger.js'
import type { PeerIdentity, PeerSession } from './session.js'
import { openSessions, type PeerSecurity } from './sync-engine.js'
import type { DroppedPeer } from './swarm.js'
import { diagnoseTracker, noPeersError, type TrackerReport } from './tracker-report.js'
import type { Transport } from './transport.js'

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
/** why: an announce whose offers all went unanswered is repeated, backing off so a dead swarm costs little */
export const REANNOUNCE_FIRST_MS = 2_000

export interface ConnectOptions {
  ws: Workspace
  trackers: string[]
  /** HELLO signing/verification: a peer counts once its handshake passed */
  security: Pick<PeerSecurity, 'sign' | 'verify' | 'mayServe'>
  rtcConfig?: Record<string, unknown>
  firstPeerWaitMs?: number
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

/** The ICE candidate pair that carries a connection, and how long its handshake took. */
export type PeerRoute = WebRtcRoute & { peer: string, setupMs: number }

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
  /** the ICE candidate pair carrying each connection */
  routes: PeerRoute[]
  /** leaves the swarm: closes every connection it made */
  leave: () => Promise<void>
}

export function identityOf (ws: Workspace): PeerIdentity {
  return { peerId: randomBytes(32).toString('hex'), name: ws.identity.name, publicKey: ws.identity.publicKey, teamId: ws.config.team?.id ?? null }
}

export function swarmIdOf (ws: Workspace): string {
  const team = ws.config.team
  if (team === null) throw GasError.badArgument('this workspace has no team: run `gas init --team NAME` or `gas team join INVITE` first')
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
  const urls = trackersOf(opts)
  const rtcConfig = opts.rtcConfig ?? await workspaceRtcConfig(ws.gasDir, urls)
  // a team with a TURN relay tries it after a direct attempt failed: wait for that too
  const firstWait = opts.firstPeerWaitMs ?? (new RelayFallback(rtcConfig).available ? FIRST_PEER_WAIT_MS + DIRECT_ATTEMPT_MS : FIRST_PEER_WAIT_MS)
  const routes: PeerRoute[] = []
  /** WebRTC connections that opened, whatever their handshake's outcome */
  let connections = 0
  const moreWait = opts.morePeersWaitMs ?? MORE_PEERS_WAIT_MS
  const countedWait = Math.max(firstWait, opts.countedPeersWaitMs ?? COUNTED_PEERS_WAIT_MS)
  const sessions: PeerSession[] = []
  const dropped: DroppedPeer[] = []
  let ownProcesses = 0
  let handshaking = 0
  /** still waiting for peers: later arrivals go to onLateTransport */
  let waiting = true
  const seen = new Map<string, TrackerSeen>(urls.map((url) => [url, {}]))
  let changed: () => void = () => {}
  const swarm: TrackerSwarm = await joinSwarm({
    trackers: urls,
    swarmId: swarmIdOf(ws),
    peerId: identity.peerId,
    rtcConfig,
    onTransport: (raw, info) => {
      connections++
      if (info.route !== undefined) routes.push({ peer: info.remotePeerId, ...info.route, setupMs: Math.round(info.setupMs) })
      const transport = opts.wrapTransport?.(raw) ?? raw
      if (!waiting && opts.onLateTransport !== undefined) return opts.onLateTransport(transport)
      handshaking++
      void openSessions([transport], ws.store, { identity, ...opts.security }, clock).then((opened) => {
        handshaking--
        sessions.push(...opened.sessions)
        dropped.push(...opened.dropped)
        ownProcesses += opened.own
        changed()
      })
    },
    onSwarmSize: (others, tracker) => { seen.set(tracker, { ...seen.get(tracker), others }); changed() },
    onTrackerStatus: (status) => { seen.set(status.tracker, { ...seen.get(status.tracker), status }); changed() }
  })
  const started = clock.now()
  const counted = (): number => Math.max(0, ...[...seen.values()].map((s) => s.others ?? 0))
  /** peers that need no more waiting for: in session, or our own processes */
  const settledPeers = (): number => sessions.length + ownProcesses
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
        if (counted() > settledPeers() + handshaking) swarm.announce()
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
          if (settledPeers() >= counted() && handshaking === 0) return done()
          until = opts.enough?.(sessions) === true ? lastArrival - started + INTERACTIVE_GRACE_MS : Math.max(firstWait, lastArrival - started + moreWait)
        } else {
          until = counted() > 0 ? countedWait : firstWait
        }
        if (elapsed >= until) return done()
        wakeIn(until - elapsed)
      }
      cancelReannounce = clock.after(reannounceMs, reannounce)
      changed()
    })
    // a handshake still running when the wait ends gets to finish (a loaded machine, a relay)
    const deadline = clock.now() + CONNECT_TIMEOUT_MS
    while (sessions.length === 0 && (handshaking > 0 || swarm.routesTried().some((r) => r.live)) && clock.now() < deadline) {
      await new Promise<void>((resolve) => { clock.after(100, resolve) })
    }
    waiting = false
    // peers were introduced but no candidate pair reached one: say which were tried
    if (connections === 0 && swarm.routesTried().length > 0) throw noRouteError(swarm.routesTried())
    if (sessions.length === 0) throw noPeersError(await reportTrackers(seen, 0), { dropped, ownProcesses })
  } catch (err) {
    for (const session of sessions) session.close()
    await swarm.leave()
    throw err
  }
  return { identity, sessions, dropped, ownProcesses, routes, trackers: await reportTrackers(seen, sessions.length), leave: async () => await swarm.leave() }
}

/** What each tracker answered; a tracker that never came up is probed once for the cause. */
async function reportTrackers (seen: Map<string, TrackerSeen>, connected: number): Promise<TrackerReport[]> {
  return await Promise.all([...seen].map(async ([tracker, s]): Promise<TrackerReport> => {
    if (s.others !== undefined) {
      if (connected > 0) return { tracker, answer: 'ok', peers: s.others, detail: `${s.others} other peer(s) in the swarm` }
      if (s.others === 0) return { tracker, answer: 'no-other-peer', peers: 0, detail: 'no other peer of the team is in the swarm: is `gas serve` running on another member\'s machine?' }
      return { tracker, answer: 'peers-offline', peers: s.others, detail: `it counts ${s.others} other peer(s) but none connected: offline, or no WebRTC path to them` }
    }
    if (s.status?.state === 'up') return { tracker, answer: 'no-answer', detail: 'connected but never answered the announce: not a gas tracker at that URL?' }
    const diagnosis = await diagnoseTracker(tracker)
    return { tracker, ...diagnosis, detail: s.status?.error !== undefined && diagnosis.answer === 'no-answer' ? `${s.status.error}, though it ${diagnosis.detail}` : diagnosis.detail }
  }))
}
