import { ICE_COMPLETE_TIMEOUT_MS, type SimplePeer } from './webrtc-transport.js'

/**
 * How long a handshake with every candidate type gets before this swarm falls back to the TURN
 * relay alone. Host and server-reflexive pairs that work connect within ~1–2 s (libdatachannel's
 * first DTLS retransmission is at 1 s).
 */
export const DIRECT_ATTEMPT_MS = 4_000

/** The websocket tracker's hooks we wrap (bittorrent-tracker's WebSocketTracker). */
interface TrackerHooks {
  _createPeer: (opts?: Record<string, unknown>) => SimplePeer
  _onAnnounceResponse: (data: { offer?: { sdp?: string } }) => void
}

function hasTurn (rtcConfig: Record<string, unknown>): boolean {
  const servers = (rtcConfig.iceServers ?? []) as Array<{ urls: string | string[] }>
  return servers.some((s) => [s.urls].flat().some((u) => u.startsWith('turn')))
}

/** An offer that holds only relayed candidates was made by a peer that fell back to the relay. */
function relayOnlyOffer (sdp: string | undefined): boolean {
  return sdp !== undefined && / typ relay/.test(sdp) && !/ typ (host|srflx|prflx)/.test(sdp)
}

/**
 * TURN as the last resort. libjuice (under node-datachannel) does not get a relay-to-relay pair
 * through when host and server-reflexive candidates are offered too and two symmetric NATs make
 * them fail (measured in test/net/netns.test.ts: ICE fails after ~30 s); with the relay alone it
 * connects at once. So a swarm whose team has a TURN relay first offers every candidate type, and
 * after a handshake found no route it offers relayed candidates only; the answering side answers
 * a relay-only offer in kind.
 */
export class RelayFallback {
  readonly available: boolean
  #relayOnly = false
  readonly #rtcConfig: Record<string, unknown>

  constructor (rtcConfig: Record<string, unknown>) {
    this.#rtcConfig = rtcConfig
    this.available = hasTurn(rtcConfig)
  }

  get relayOnly (): boolean { return this.#relayOnly }

  /** The handshake timeout for `peer`: short while a relay-only attempt remains. */
  attemptTimeoutMs (peer: SimplePeer, otherwise: number): number {
    return this.available && !this.#relayOnly && !relayOnlyOffer(peerSdp(peer)) ? Math.min(DIRECT_ATTEMPT_MS, otherwise) : otherwise
  }

  /** A handshake found no route: from now on offer the relay alone. */
  failed (): void {
    if (this.available) this.#relayOnly = true
  }

  /** Makes `tracker` create its peers with the config this fallback says (and the ICE gathering cap). */
  wrap (tracker: TrackerHooks): void {
    const createPeer = tracker._createPeer.bind(tracker)
    const onAnnounceResponse = tracker._onAnnounceResponse.bind(tracker)
    let offerSdp: string | undefined
    // why: the tracker creates the answering peer inside its announce handler, before it signals the offer
    tracker._onAnnounceResponse = (data) => {
      offerSdp = data.offer?.sdp
      try {
        onAnnounceResponse(data)
      } finally {
        offerSdp = undefined
      }
    }
    tracker._createPeer = (peerOpts = {}) => {
      const relay = this.available && (peerOpts.initiator === true ? this.#relayOnly : relayOnlyOffer(offerSdp))
      const config = relay ? { ...this.#rtcConfig, iceTransportPolicy: 'relay' } : this.#rtcConfig
      return createPeer({ iceCompleteTimeout: ICE_COMPLETE_TIMEOUT_MS, config, ...peerOpts })
    }
  }
}

function peerSdp (peer: SimplePeer): string | undefined {
  try {
    return peer._pc?.localDescription?.sdp
  } catch {
    return undefined
  }
}
