// @ts-ignore -- bittorrent-tracker ships no type declarations; `TrackerClient` below types what we use
import { Client } from 'bittorrent-tracker'
import { createHash } from 'node:crypto'
import { GasError } from '../../errors.js'
import { checkTrackerUrl } from './tracker-url.js'
import type { Transport } from '../transport/transport.js'
import { RelayFallback } from '../transport/relay-fallback.js'
import type { DirectAnnounce } from '../transport/direct-announce.js'
import { carryDirectAnnounces, type AnnounceHooks } from './tracker-direct.js'
import { traceMark } from '../../trace.js'
import { readOffersAsDtlsClient, type OfferHooks } from '../transport/dtls-role.js'
import { LOOPBACK_RTC_CONFIG, candidatesOf, routeOf, waitConnected, webrtcTransport, wrtc, type CandidatesTried, type SimplePeer, type WebRtcRoute } from '../transport/webrtc-transport.js'

/** why: a WebRTC handshake on a reachable peer takes well under a second; past this the offer is dead */
export const CONNECT_TIMEOUT_MS = 10_000
/** why: each offer is a whole RTCPeerConnection; the websocket tracker caps offers per announce at 5 anyway */
export const OFFERS_PER_ANNOUNCE = 5
/**
 * why: bittorrent-tracker reconnects after 10 s doubling to 1 h plus up to 5 min of jitter, so a
 * running serve reappeared minutes after a tracker restart; a reconnect attempt is one small
 * websocket handshake, so we retry from 250 ms doubling to 2 s and a restarted tracker sees every
 * serve again within ~3 s.
 */
export const TRACKER_RETRY_MIN_MS = 250
export const TRACKER_RETRY_MAX_MS = 2_000

/** A tracker's state as this peer sees it: `up` once its socket connected, `down` when it failed or closed. */
export interface TrackerStatus {
  /** the tracker URL as configured */
  tracker: string
  state: 'up' | 'down'
  /** why it is down, from the socket (e.g. `connect ECONNREFUSED 127.0.0.1:8000`) */
  error?: string
}

/** The slice of bittorrent-tracker's WebSocketTracker we hook into (reconnect timing, socket state). */
interface WebSocketTracker {
  announceUrl: string
  destroyed: boolean
  reconnecting: boolean
  retries: number
  reconnectTimer: ReturnType<typeof setTimeout> | null
  _createPeer: (opts?: Record<string, unknown>) => SimplePeer
  _onAnnounceResponse: (data: { offer?: { sdp?: string } }) => void
  _openSocket: () => void
  _onSocketConnect: () => void
  _onSocketError: (err: Error) => void
  _onSocketClose: () => void
  _startReconnectTimer: () => void
}

interface TrackerClient {
  _trackers: WebSocketTracker[]
  start: () => void
  stop: () => void
  update: () => void
  destroy: (cb?: () => void) => void
  on: (event: string, cb: (...args: any[]) => void) => void
}

const ClientCtor = Client as new (opts: Record<string, unknown>) => TrackerClient

export interface SwarmOptions {
  /** ws:// tracker URLs */
  trackers: string[]
  /** 40-hex infoHash, derived by the caller (the hash of the team key) */
  swarmId: string
  /** this peer's id: 40 hex is used as the tracker peer id as is, anything else is hashed to 20 bytes */
  peerId: string
  /** called once per remote peer with its connected transport; setupMs is how long its WebRTC handshake took, route the candidate pair that carries it */
  onTransport: (t: Transport, info: { remotePeerId: string, setupMs: number, route?: WebRtcRoute }) => void
  /** how many other peers a tracker counts in the swarm, on each of its announce answers */
  onSwarmSize?: (others: number, tracker: string) => void
  /** a tracker's socket came up or went down (it is retried with backoff while down) */
  onTrackerStatus?: (status: TrackerStatus) => void
  /** rtcConfig for node-datachannel; default loopback-only (127.0.0.1, no STUN) */
  rtcConfig?: Record<string, unknown>
  /** re-announce this often (ms) to meet peers that joined elsewhere; default: the tracker's interval */
  announceIntervalMs?: number
  /** give up on one handshake after this long (ms) and announce again; default CONNECT_TIMEOUT_MS */
  connectTimeoutMs?: number
  /** our direct-path addresses, carried in our offers and answers (tracker-direct.ts) */
  directAnnounce?: () => DirectAnnounce | undefined
  /** a remote's direct-path addresses, from its offer or answer (signature not checked yet) */
  onDirectAnnounce?: (trackerPeerId: string, announce: DirectAnnounce) => void
}

export interface Swarm {
  /** the tracker-level id of this peer (20 bytes hex) */
  readonly peerId: string
  /** handshakes still running (`live`) or failed, with the candidates each had (for E_NO_ROUTE) */
  routesTried: () => Array<CandidatesTried & { peer: string, live: boolean }>
  /** connected remote peers (tracker-level ids) */
  readonly remotePeerIds: string[]
  /** announces again now, with fresh offers */
  announce: () => void
  /** stops announcing and closes every connection this swarm made, handed over or still connecting */
  leave: () => Promise<void>
}

const HEX40 = /^[0-9a-f]{40}$/

export function trackerPeerId (peerId: string): string {
  return HEX40.test(peerId) ? peerId : createHash('sha1').update(peerId).digest('hex')
}

/**
 * Joins a swarm on WebSocket trackers and connects to every peer found there over WebRTC, one
 * connection per remote peer: while a handshake with a peer runs or a connection is up, further
 * offers from or answers by it are dropped, except that of two handshakes in opposite directions
 * both sides keep the one initiated by the lower peer id. Identity is not established here: the
 * session runs HELLO over the transport.
 */
export async function joinSwarm (opts: SwarmOptions): Promise<Swarm> {
  if (!Array.isArray(opts.trackers) || opts.trackers.length === 0) throw GasError.badArgument('joinSwarm needs at least one tracker URL')
  for (const url of opts.trackers) checkTrackerUrl(url)
  if (typeof opts.swarmId !== 'string' || !HEX40.test(opts.swarmId)) throw GasError.badArgument('swarmId must be 40 lower-case hex chars (an infoHash)')
  if (typeof opts.peerId !== 'string' || opts.peerId === '') throw GasError.badArgument('peerId must be a non-empty string')
  if (typeof opts.onTransport !== 'function') throw GasError.badArgument('onTransport must be a function')
  const peerId = trackerPeerId(opts.peerId)
  /** the connection to each remote, whether the lower peer id initiated it (that one wins a tie), and when it opened */
  const connections = new Map<string, { transport: Transport, byLower: boolean, at: number }>()
  /** a connection stays unless `peer` is its twin: already under way when it opened, and initiated by the lower id */
  const keeps = (existing: { byLower: boolean, at: number }, peer: SimplePeer, remote: string, startedAt: number): boolean =>
    existing.byLower || !initiatedByLower(peer, remote) || startedAt > existing.at
  const connecting = new Map<string, SimplePeer>()
  const failed = new Map<string, CandidatesTried>()
  let left = false

  const client = new ClientCtor({
    infoHash: opts.swarmId,
    peerId,
    // why: clients in one process on the same URL share one socket and hang; a per-peer query keeps them apart
    announce: opts.trackers.map(url => `${url}${url.includes('?') ? '&' : '?'}peer=${peerId}`),
    port: 6881,
    rtcConfig: opts.rtcConfig ?? LOOPBACK_RTC_CONFIG,
    wrtc,
    getAnnounceOpts: () => ({ numwant: OFFERS_PER_ANNOUNCE })
  })
  const configuredUrl = (announceUrl: string): string => opts.trackers.find((url) => announceUrl.startsWith(url)) ?? announceUrl
  // the tracker signals without trickle: each side waits for the end of ICE gathering, at most ICE_COMPLETE_TIMEOUT_MS
  const relay = new RelayFallback(opts.rtcConfig ?? LOOPBACK_RTC_CONFIG)
  for (const tracker of client._trackers) {
    relay.wrap(tracker)
    readOffersAsDtlsClient(tracker as unknown as OfferHooks)
    carryDirectAnnounces(tracker as unknown as AnnounceHooks, { outgoing: () => opts.directAnnounce?.(), incoming: (remote, announce) => { if (!left) opts.onDirectAnnounce?.(remote, announce) } })
    hookTracker(tracker, configuredUrl(tracker.announceUrl), (status) => { if (!left) opts.onTrackerStatus?.(status) }, () => left)
  }
  // why: without listeners these events would throw; an unreachable tracker or a failed offer is routine
  client.on('warning', () => {})
  client.on('error', () => {})
  // why: both sides may offer at once; each side must keep the same attempt, so the one initiated by the lower peer id wins
  const initiatedByLower = (peer: SimplePeer, remote: string): boolean => peer.initiator ? peerId < remote : remote < peerId
  const drop = (peer: SimplePeer): void => {
    // after the tracker has signalled it: destroying inside its 'peer' event makes its signal() throw
    setImmediate(() => peer.destroy())
  }
  client.on('update', (data: { complete?: number, incomplete?: number, announce?: string }) => {
    // the tracker counts us too, once our announce is in
    const others = (data.complete ?? 0) + (data.incomplete ?? 0) - 1
    if (!left && others >= 0) opts.onSwarmSize?.(others, configuredUrl(data.announce ?? ''))
  })
  client.on('peer', (peer: SimplePeer) => {
    const remote = peer.id
    if (left || remote === undefined || remote === peerId) return drop(peer)
    // fresh offers (a re-announce) to a peer we are connected to are duplicates
    if (connections.has(remote)) return drop(peer)
    const other = connecting.get(remote)
    if (other !== undefined) {
      // why same direction: the remote offers again only once its attempt died (an early ICE error
      // kills one side alone), and the answering side answers every offer: both sides go on with
      // the newest, where keeping the older left the survivor waiting out its timeout
      if (other.initiator !== peer.initiator && !initiatedByLower(peer, remote)) return drop(peer)
      connecting.delete(remote)
      if (other.initiator === peer.initiator) other.destroy()
      else drop(other)
    }
    connecting.set(remote, peer)
    const startedAt = performance.now()
    waitConnected(peer, relay.attemptTimeoutMs(peer, opts.connectTimeoutMs ?? CONNECT_TIMEOUT_MS)).then(() => {
      if (connecting.get(remote) === peer) connecting.delete(remote)
      const current = connections.get(remote)
      // why: both sides may complete opposite attempts in different orders; "first connected wins"
      // then kept a different one on each side and both died; the lower id's attempt wins everywhere
      if (left || (current !== undefined && keeps(current, peer, remote, startedAt))) {
        peer.destroy()
        return
      }
      // the other side keeps this one (initiated by the lower id) and closes its twin: so do we
      if (current !== undefined) {
        connections.delete(remote)
        current.transport.close()
      }
      const route = routeOf(peer)
      const transport = webrtcTransport(peer, { remoteLabel: remote })
      connections.set(remote, { transport, byLower: initiatedByLower(peer, remote), at: performance.now() })
      failed.delete(remote)
      transport.onClose(() => { if (connections.get(remote)?.transport === transport) connections.delete(remote) })
      opts.onTransport(transport, { remotePeerId: remote, setupMs: performance.now() - startedAt, route })
    }, (err: { data?: { candidates?: CandidatesTried } }) => {
      traceMark(`webrtc attempt failed: ${String(err)}`)
      if (err.data?.candidates !== undefined) failed.set(remote, err.data.candidates)
      if (connecting.get(remote) !== peer) return
      connecting.delete(remote)
      // ICE never connected (not a handshake we dropped): the next offers try the relay alone
      if (err.data?.candidates !== undefined && !['connected', 'completed'].includes(err.data.candidates.iceState)) relay.failed()
      // why: a handshake can die (node-datachannel loses ~1 in 70 on loopback); fresh offers get another chance
      if (!left && !connections.has(remote)) client.update()
    })
  })
  client.start()
  let timer: ReturnType<typeof setInterval> | undefined
  if (opts.announceIntervalMs !== undefined) {
    // why not while a handshake runs: a fresh offer to that peer would replace it (see above)
    timer = setInterval(() => { if (connecting.size === 0) client.update() }, opts.announceIntervalMs)
    timer.unref()
  }

  return {
    peerId,
    routesTried () {
      const live = [...connecting].map(([peer, p]) => ({ peer, live: true, ...candidatesOf(p) }))
      return [...live, ...[...failed].filter(([peer]) => !connecting.has(peer)).map(([peer, c]) => ({ peer, live: false, ...c }))]
    },
    get remotePeerIds () { return [...connections.keys()] },
    announce () { if (!left) client.update() },
    async leave () {
      if (left) return
      left = true
      clearInterval(timer)
      for (const peer of connecting.values()) peer.destroy()
      connecting.clear()
      for (const c of connections.values()) c.transport.close()
      connections.clear()
      // why: a tracker waiting to reconnect counts as destroyed, and the library's destroy then
      // leaves its timer armed: it would open a socket nobody closes, keeping the process alive
      for (const tracker of client._trackers) if (tracker.reconnectTimer !== null) clearTimeout(tracker.reconnectTimer)
      // tell the tracker now, so others stop sending offers to us
      client.stop()
      // why: destroy keeps the socket up to 1 s for a late reply we do not need; it closes itself
      client.destroy()
    }
  }
}

/**
 * The wait before reconnect attempt `retries` (0-based): doubling from TRACKER_RETRY_MIN_MS up to
 * TRACKER_RETRY_MAX_MS, ±25 % by `random` (0..1) so a team's serves do not all reconnect in the
 * same instant after a restart. Never above 1.25 × TRACKER_RETRY_MAX_MS.
 */
export function trackerRetryDelayMs (retries: number, random: number): number {
  return Math.min(TRACKER_RETRY_MAX_MS, TRACKER_RETRY_MIN_MS * 2 ** retries) * (0.75 + random / 2)
}

/**
 * Reports a tracker's socket going up or down, and replaces bittorrent-tracker's reconnect timer
 * (10 s to 1 h) with ours (TRACKER_RETRY_MIN_MS doubling to TRACKER_RETRY_MAX_MS). On reconnect
 * the library announces again by itself, so a restarted tracker learns of us at once.
 */
function hookTracker (tracker: WebSocketTracker, url: string, report: (status: TrackerStatus) => void, left: () => boolean): void {
  const onConnect = tracker._onSocketConnect.bind(tracker)
  tracker._onSocketConnect = () => {
    if (!tracker.destroyed) report({ tracker: url, state: 'up' })
    onConnect()
  }
  const onError = tracker._onSocketError.bind(tracker)
  tracker._onSocketError = (err) => {
    // simple-websocket says only "Error connecting to <url with our query>"; diagnoseTracker finds the cause
    const message = err?.message ?? String(err)
    if (!tracker.destroyed) report({ tracker: url, state: 'down', error: message.startsWith('Error connecting to') ? 'cannot connect' : message })
    onError(err)
  }
  const onClose = tracker._onSocketClose.bind(tracker)
  tracker._onSocketClose = () => {
    if (!tracker.destroyed) report({ tracker: url, state: 'down', error: 'the tracker closed the connection' })
    onClose()
  }
  tracker._startReconnectTimer = () => {
    const ms = trackerRetryDelayMs(tracker.retries, Math.random())
    tracker.reconnecting = true
    if (tracker.reconnectTimer !== null) clearTimeout(tracker.reconnectTimer)
    tracker.reconnectTimer = setTimeout(() => {
      if (left()) return
      tracker.retries++
      tracker._openSocket()
    }, ms)
    // why: like the library's; a serve keeps itself alive, a one-shot command must be able to end
    tracker.reconnectTimer.unref()
  }
}
