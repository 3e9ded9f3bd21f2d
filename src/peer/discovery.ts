// @ts-ignore -- bittorrent-tracker ships no type declarations; `TrackerClient` below types what we use
import { Client } from 'bittorrent-tracker'
import { createHash } from 'node:crypto'
import { GasError } from '../errors.js'
import type { Transport } from './transport.js'
import { ICE_COMPLETE_TIMEOUT_MS, LOOPBACK_RTC_CONFIG, waitConnected, webrtcTransport, wrtc, type SimplePeer } from './webrtc-transport.js'

/** why: a WebRTC handshake on a reachable peer takes well under a second; past this the offer is dead */
export const CONNECT_TIMEOUT_MS = 10_000
/** why: each offer is a whole RTCPeerConnection; the websocket tracker caps offers per announce at 5 anyway */
export const OFFERS_PER_ANNOUNCE = 5

interface TrackerClient {
  _trackers: Array<{ _createPeer: (opts?: Record<string, unknown>) => SimplePeer }>
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
  /** called once per remote peer with its connected transport */
  onTransport: (t: Transport, info: { remotePeerId: string }) => void
  /** rtcConfig for node-datachannel; default loopback-only (127.0.0.1, no STUN) */
  rtcConfig?: Record<string, unknown>
  /** re-announce this often (ms) to meet peers that joined elsewhere; default: the tracker's interval */
  announceIntervalMs?: number
}

export interface Swarm {
  /** the tracker-level id of this peer (20 bytes hex) */
  readonly peerId: string
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
 * Joins a swarm on WebSocket trackers and connects to every peer found there over WebRTC. One
 * connection per remote peer: a second one (both sides sent offers) is closed on both sides,
 * since both see the first one connected first. Identity is not established here: the session
 * runs HELLO over the transport.
 */
export async function joinSwarm (opts: SwarmOptions): Promise<Swarm> {
  if (!Array.isArray(opts.trackers) || opts.trackers.length === 0) throw GasError.badArgument('joinSwarm needs at least one tracker URL')
  for (const url of opts.trackers) {
    if (!/^wss?:\/\//.test(url)) throw GasError.badArgument(`tracker URL must be ws:// or wss://, not ${url}`)
  }
  if (typeof opts.swarmId !== 'string' || !HEX40.test(opts.swarmId)) throw GasError.badArgument('swarmId must be 40 lower-case hex chars (an infoHash)')
  if (typeof opts.peerId !== 'string' || opts.peerId === '') throw GasError.badArgument('peerId must be a non-empty string')
  if (typeof opts.onTransport !== 'function') throw GasError.badArgument('onTransport must be a function')
  const peerId = trackerPeerId(opts.peerId)
  const connections = new Map<string, Transport>()
  const connecting = new Set<SimplePeer>()
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
  for (const tracker of client._trackers) {
    const createPeer = tracker._createPeer.bind(tracker)
    // why: the tracker signals without trickle and webrtc-polyfill never ends ICE gathering, so each side would wait simple-peer's 5 s default
    tracker._createPeer = (peerOpts = {}) => createPeer({ iceCompleteTimeout: ICE_COMPLETE_TIMEOUT_MS, ...peerOpts })
  }
  // why: without listeners these events would throw; an unreachable tracker or a failed offer is routine
  client.on('warning', () => {})
  client.on('error', () => {})
  client.on('peer', (peer: SimplePeer) => {
    const remote = peer.id
    if (left || remote === undefined || remote === peerId) {
      setImmediate(() => peer.destroy())
      return
    }
    connecting.add(peer)
    waitConnected(peer, CONNECT_TIMEOUT_MS).then(() => {
      connecting.delete(peer)
      if (left || connections.has(remote)) {
        peer.destroy()
        return
      }
      const transport = webrtcTransport(peer, { remoteLabel: remote })
      connections.set(remote, transport)
      transport.onClose(() => { if (connections.get(remote) === transport) connections.delete(remote) })
      opts.onTransport(transport, { remotePeerId: remote })
    }, () => connecting.delete(peer))
  })
  client.start()
  let timer: ReturnType<typeof setInterval> | undefined
  if (opts.announceIntervalMs !== undefined) {
    timer = setInterval(() => client.update(), opts.announceIntervalMs)
    timer.unref()
  }

  return {
    peerId,
    get remotePeerIds () { return [...connections.keys()] },
    announce () { if (!left) client.update() },
    async leave () {
      if (left) return
      left = true
      clearInterval(timer)
      for (const peer of connecting) peer.destroy()
      connecting.clear()
      for (const t of connections.values()) t.close()
      connections.clear()
      // tell the tracker now, so others stop sending offers to us
      client.stop()
      // why: destroy keeps the socket up to 1 s for a late reply we do not need; it closes itself
      client.destroy()
    }
  }
}
