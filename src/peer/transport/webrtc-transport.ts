// @ts-ignore -- @thaunknown/simple-peer ships no type declarations; `SimplePeer` below types what we use
import SimplePeerClass from '@thaunknown/simple-peer'
import * as polyfill from 'node-datachannel/polyfill'
import { GasError } from '../../errors.js'
import { TransportBase, checkFrame, peerLost, type Transport } from './transport.js'
import { offerAsDtlsClient } from './dtls-role.js'

/** why: node-datachannel queues without limit; above this many buffered bytes, send() waits */
export const PAUSE_BUFFERED_BYTES = 4 * 1024 * 1024
/** why: resume while 1 MiB is still queued, so the SCTP stack never runs dry (≈110 MB/s on loopback) */
export const RESUME_BUFFERED_BYTES = 1024 * 1024
/** why: close() lets frames queued in libdatachannel leave first, but never hangs on a stuck peer */
export const CLOSE_DRAIN_TIMEOUT_MS = 2000
/**
 * A non-trickle simple-peer signals once ICE gathering ends (EndOfCandidates below) or after this
 * long, whichever comes first: a STUN or TURN server that never answers must not hold the offer.
 */
export const ICE_COMPLETE_TIMEOUT_MS = 3000
/** why: loopback only, no STUN; the config reaches node-datachannel as is */
export const LOOPBACK_RTC_CONFIG = { iceServers: [], bindAddress: '127.0.0.1' }

/** The slice of the RTCDataChannel we rely on (node-datachannel's polyfill). */
interface DataChannelLike {
  bufferedAmount: number
  bufferedAmountLowThreshold: number
  addEventListener: (type: 'bufferedamountlow', cb: () => void) => void
  removeEventListener: (type: 'bufferedamountlow', cb: () => void) => void
  onmessage: ((event: { data: ArrayBuffer | Uint8Array }) => void) | null
  send: (data: Uint8Array | ArrayBuffer) => void
}

/** The slice of the polyfill's RTCPeerConnection we read ICE facts from. */
interface PeerConnectionLike {
  selectedCandidatePair: () => { local: { type: string, address: string, port: number, transportType: string }, remote: { type: string, address: string, port: number, transportType: string } } | null
  readonly localDescription: { sdp: string } | null
  readonly remoteDescription: { sdp: string } | null
  readonly iceConnectionState: string
}

/** ICE candidate types (RFC 8445): on the interface, as a NAT maps it (STUN), through a TURN relay; prflx is learnt from a check. */
export type CandidateType = 'host' | 'srflx' | 'prflx' | 'relay'

/** Which candidate pair carries a connection; `type` is the one that decides the path (relay > srflx > host). */
export interface WebRtcRoute { type: CandidateType, local: string, remote: string }

/** The candidates one handshake offered and was offered, as `TYPE ADDRESS:PORT/PROTOCOL`. */
export interface CandidatesTried { local: string[], remote: string[], iceState: string }

/** The slice of a @thaunknown/simple-peer instance we rely on. */
export interface SimplePeer {
  readonly connected: boolean
  readonly destroyed: boolean
  readonly initiator: boolean
  /** set by bittorrent-tracker to the remote peer id (hex) */
  id?: string
  _channel: DataChannelLike | null
  /** the polyfill's RTCPeerConnection (null once destroyed) */
  _pc: PeerConnectionLike | null
  send: (data: Uint8Array) => void
  signal: (data: unknown) => void
  destroy: (err?: Error) => void
  on: (event: string, cb: (...args: any[]) => void) => void
  once: (event: string, cb: (...args: any[]) => void) => void
  removeListener: (event: string, cb: (...args: any[]) => void) => void
}

export interface SimplePeerOptions {
  initiator?: boolean
  trickle?: boolean
  config?: Record<string, unknown>
  iceCompleteTimeout?: number
  channelConfig?: Record<string, unknown>
}

const SimplePeerCtor = SimplePeerClass as new (opts: Record<string, unknown>) => SimplePeer

/**
 * node-datachannel's polyfill, adjusted to what simple-peer expects of a browser:
 * - the end of ICE gathering is reported as the null candidate of the spec (the polyfill only
 *   changes the state), or a non-trickle peer sits out its iceCompleteTimeout before signalling;
 * - createOffer/createAnswer give plain descriptions, which simple-peer edits in place (the
 *   polyfill's RTCSessionDescription is read-only).
 */
class BrowserLikePeerConnection extends polyfill.RTCPeerConnection {
  constructor (config?: RTCConfiguration) {
    super(config)
    this.addEventListener('icegatheringstatechange', () => {
      if (this.iceGatheringState === 'complete') this.dispatchEvent(new polyfill.RTCPeerConnectionIceEvent(null as unknown as RTCIceCandidate))
    })
  }

  override async createOffer (): Promise<RTCSessionDescriptionInit> {
    const { type, sdp } = await super.createOffer() as RTCSessionDescriptionInit
    return { type, sdp }
  }

  override async createAnswer (): Promise<RTCSessionDescriptionInit> {
    const { type, sdp } = await super.createAnswer() as RTCSessionDescriptionInit
    return { type, sdp }
  }
}

/** The WebRTC implementation for simple-peer and bittorrent-tracker: node-datachannel's own polyfill. */
// why typed loosely: the declaration file must not import the polyfill's types (they only check with the DOM lib)
export const wrtc: Record<string, unknown> = { ...polyfill, RTCPeerConnection: BrowserLikePeerConnection }

export function createSimplePeer (opts: SimplePeerOptions = {}): SimplePeer {
  return new SimplePeerCtor({ config: LOOPBACK_RTC_CONFIG, iceCompleteTimeout: ICE_COMPLETE_TIMEOUT_MS, ...opts, wrtc })
}

class WebRtcTransport extends TransportBase {
  /** node-datachannel copies each message into its own queue inside send() */
  readonly copiesFrames = true
  readonly #peer: SimplePeer
  #waiters: Array<{ resolve: () => void, reject: (err: Error) => void }> = []
  #ready: Promise<void>
  #channel: DataChannelLike | undefined

  constructor (peer: SimplePeer, remoteLabel: string) {
    super(remoteLabel)
    this.#peer = peer
    peer.on('data', (data: Uint8Array) => this.deliver(data))
    peer.on('error', (err: Error) => this.#lost(err.message))
    peer.on('close', () => this.#lost('remote closed the connection'))
    // why: when the remote closes the channel, simple-peer tears down through an internal path that
    // skips the stream's 'close' event; 'disconnect' (or the writable side finishing) is all we get
    peer.on('disconnect', () => this.#lost('remote closed the connection'))
    peer.on('finish', () => this.#lost('remote closed the connection'))
    // why the close too: a peer that fails before it connects never says 'connect', and a send
    // waiting for it hung for good; it now goes on, finds the transport closed and says so
    this.#ready = peer.connected
      ? Promise.resolve(this.#setup())
      : new Promise(resolve => {
        peer.once('connect', () => resolve(this.#setup()))
        this.onClose(() => resolve())
      })
  }

  #setup (): void {
    const channel = this.#peer._channel
    if (channel === null) return
    this.#channel = channel
    // why: simple-peer hands each message through a streamx Duplex; at ~1000 messages a second that
    // costs a tenth of the link, so once connected we take them from the channel itself
    channel.onmessage = (event: { data: ArrayBuffer | Uint8Array }) => {
      if (!this.closed) this.deliver(event.data instanceof ArrayBuffer ? new Uint8Array(event.data) : event.data)
    }
    channel.bufferedAmountLowThreshold = RESUME_BUFFERED_BYTES
    channel.addEventListener('bufferedamountlow', this.#onLow)
  }

  readonly #onLow = (): void => {
    const waiters = this.#waiters
    this.#waiters = []
    for (const w of waiters) w.resolve()
  }

  async send (frame: Uint8Array): Promise<void> {
    if (this.closed) throw peerLost(this.remoteLabel, 'transport closed')
    checkFrame(frame)
    await this.#ready
    if (this.closed) throw this.closeError ?? peerLost(this.remoteLabel, 'transport closed')
    try {
      // the polyfill hands a Uint8Array to node-datachannel as is (which copies it once)
      if (this.#channel !== undefined) this.#channel.send(frame)
      else this.#peer.send(frame)
    } catch (err) {
      this.#lost((err as Error).message)
      throw peerLost(this.remoteLabel, (err as Error).message)
    }
    if ((this.#channel?.bufferedAmount ?? 0) <= PAUSE_BUFFERED_BYTES) return
    await new Promise<void>((resolve, reject) => this.#waiters.push({ resolve, reject }))
  }

  close (): void {
    if (!this.finish()) return
    this.#rejectWaiters('transport closed')
    const peer = this.#peer
    const channel = this.#channel
    if (channel === undefined || channel.bufferedAmount === 0 || peer.destroyed) {
      peer.destroy()
      return
    }
    // Let what libdatachannel still queues leave first. What SCTP itself already holds is lost
    // when the PeerConnection closes (closing only the channel stalls the remote's close event in
    // the polyfill), so a sender that needs delivery waits for an answer before closing.
    channel.removeEventListener('bufferedamountlow', this.#onLow)
    const timer = setTimeout(done, CLOSE_DRAIN_TIMEOUT_MS)
    function done (): void {
      clearTimeout(timer)
      channel?.removeEventListener('bufferedamountlow', done)
      peer.destroy()
    }
    channel.bufferedAmountLowThreshold = 0
    channel.addEventListener('bufferedamountlow', done)
  }

  #lost (why: string): void {
    if (this.finish(peerLost(this.remoteLabel, why))) {
      this.#rejectWaiters(why)
      this.#peer.destroy()
    }
  }

  #rejectWaiters (why: string): void {
    const waiters = this.#waiters
    this.#waiters = []
    for (const w of waiters) w.reject(peerLost(this.remoteLabel, why))
  }
}

/**
 * Wraps a simple-peer (connected or still connecting) as a Transport: one binary message per
 * frame; send() waits while more than PAUSE_BUFFERED_BYTES are queued and resumes on
 * 'bufferedamountlow' at RESUME_BUFFERED_BYTES.
 */
export function webrtcTransport (peer: SimplePeer, opts: { remoteLabel?: string } = {}): Transport {
  return new WebRtcTransport(peer, opts.remoteLabel ?? peer.id ?? 'webrtc-peer')
}

/**
 * Resolves when `peer` connects; rejects (and destroys it) on error or after `timeoutMs`. The
 * error's data names the candidates the handshake had (`candidates`), read before the destroy.
 */
export function waitConnected (peer: SimplePeer, timeoutMs: number): Promise<void> {
  if (peer.connected) return Promise.resolve()
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup()
      const candidates = candidatesOf(peer)
      peer.destroy()
      reject(new GasError('E_TIMEOUT', `WebRTC connection not established within ${timeoutMs} ms; check that the peer is reachable`, { timeoutMs, candidates }))
    }, timeoutMs)
    const onConnect = (): void => { cleanup(); resolve() }
    const onError = (err: Error): void => {
      cleanup()
      const candidates = candidatesOf(peer)
      peer.destroy()
      const lost = peerLost(peer.id ?? 'webrtc-peer', err.message)
      reject(new GasError('E_PEER_LOST', lost.message, { ...lost.data, candidates }))
    }
    const onClose = (): void => onError(new Error('closed before connecting'))
    function cleanup (): void {
      clearTimeout(timer)
      peer.removeListener('connect', onConnect)
      peer.removeListener('error', onError)
      peer.removeListener('close', onClose)
    }
    peer.once('connect', onConnect)
    peer.once('error', onError)
    peer.once('close', onClose)
  })
}

/**
 * why: about 1 in 70 loopback handshakes in node-datachannel 0.33 never opens its channel (ICE
 * succeeds, DTLS does not), and under load about 1 in 30 fails at once ("Got a remote candidate
 * without ICE transport"); a fresh attempt does. Failures cluster while the machine is busy (three
 * in a row once in a CI run), so the attempts are spaced out a little.
 */
export const CONNECT_ATTEMPTS = 5
/** why: the pause before attempt n is n × this: a busy moment passes */
const RETRY_PAUSE_MS = 50

/**
 * Two simple-peers in this process, their signals piped to each other over 127.0.0.1: for tests
 * and benches. Transport[0] is the initiator. Each attempt gets `timeoutMs` (default 5 s).
 */
export async function connectPair (opts: { timeoutMs?: number, labels?: { a?: string, b?: string } } = {}): Promise<[Transport, Transport]> {
  const timeoutMs = opts.timeoutMs ?? 5000
  for (let attempt = 1; ; attempt++) {
    const a = createSimplePeer({ initiator: true, trickle: true })
    const b = createSimplePeer({ trickle: true })
    a.on('signal', signal => { if (!b.destroyed) b.signal(offerAsDtlsClient(signal)) })
    b.on('signal', signal => { if (!a.destroyed) a.signal(signal) })
    try {
      await Promise.all([waitConnected(a, timeoutMs), waitConnected(b, timeoutMs)])
      return [
        webrtcTransport(a, { remoteLabel: opts.labels?.b ?? 'webrtc-b' }),
        webrtcTransport(b, { remoteLabel: opts.labels?.a ?? 'webrtc-a' })
      ]
    } catch (err) {
      a.destroy()
      b.destroy()
      if (attempt >= CONNECT_ATTEMPTS) throw err
      await new Promise((resolve) => setTimeout(resolve, attempt * RETRY_PAUSE_MS))
    }
  }
}

const TYPE_RANK: Record<string, number> = { host: 0, prflx: 1, srflx: 1, relay: 2 }

/** The candidate pair ICE selected for a connected peer, or undefined when it has none. */
export function routeOf (peer: SimplePeer): WebRtcRoute | undefined {
  let pair
  try {
    pair = peer._pc?.selectedCandidatePair() ?? null
  } catch {
    return undefined // closed meanwhile
  }
  if (pair === null) return undefined
  const show = (c: { type: string, address: string, port: number, transportType: string }): string => `${c.type} ${c.address}:${c.port}/${c.transportType.toLowerCase()}`
  // a peer-reflexive candidate is an address learnt from a check: on a LAN it is a host address
  // the other side had not signalled yet, behind a NAT it is a mapping like srflx
  const tried = candidatesOf(peer)
  const hosts = new Set([...tried.local, ...tried.remote].filter((c) => c.startsWith('host ')).map((c) => c.slice(5, c.lastIndexOf(':'))))
  const kind = (c: { type: string, address: string }): string => c.type !== 'prflx' ? c.type : hosts.has(c.address) ? 'host' : 'srflx'
  // what crossed the network: a relay on either side means relayed; else a mapped address means NAT traversal
  const type = [kind(pair.local), kind(pair.remote)].sort((a, b) => (TYPE_RANK[b] ?? 0) - (TYPE_RANK[a] ?? 0))[0] as CandidateType
  return { type, local: show(pair.local), remote: show(pair.remote) }
}

function candidatesIn (sdp: string | undefined): string[] {
  const out: string[] = []
  for (const m of (sdp ?? '').matchAll(/^a=candidate:\S+ \d+ (\S+) \d+ (\S+) (\d+) typ (\S+)/gm)) out.push(`${m[4]} ${m[2]}:${m[3]}/${m[1].toLowerCase()}`)
  return out
}

/** What a handshake had to work with (for E_NO_ROUTE): read before the peer is destroyed. */
export function candidatesOf (peer: SimplePeer): CandidatesTried {
  const read = (f: () => { sdp: string } | null | undefined): string | undefined => {
    try {
      return f()?.sdp
    } catch {
      return undefined // no description yet
    }
  }
  const pc = peer._pc
  let iceState = 'closed'
  try {
    iceState = pc?.iceConnectionState ?? 'closed'
  } catch {}
  return { local: candidatesIn(read(() => pc?.localDescription)), remote: candidatesIn(read(() => pc?.remoteDescription)), iceState }
}
