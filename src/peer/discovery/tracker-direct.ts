import { decodeAnnounce, type DirectAnnounce } from '../transport/direct-announce.js'

/**
 * Carries direct-path announces through a WebSocket tracker: bittorrent-tracker's server forwards
 * each offer and answer object to the other peer as it is, so a field added to ours reaches the
 * peer that receives it, through any tracker. The peer then tries the direct path beside the
 * WebRTC handshake the offer starts.
 */

/** The slice of bittorrent-tracker's WebSocketTracker we hook into. */
export interface AnnounceHooks {
  _send: (params: Record<string, unknown>) => void
  _onAnnounceResponse: (data: { offer?: unknown, answer?: unknown, peer_id?: string }) => void
}

/** why: a name of our own under the offer, ignored by simple-peer and by other clients */
const FIELD = 'gasDirect'

export function carryDirectAnnounces (tracker: AnnounceHooks, opts: { outgoing: () => DirectAnnounce | undefined, incoming: (trackerPeerId: string, announce: DirectAnnounce) => void }): void {
  const send = tracker._send.bind(tracker)
  tracker._send = (params) => {
    const announce = opts.outgoing()
    if (announce !== undefined) {
      if (Array.isArray(params.offers)) params = { ...params, offers: params.offers.map((o: { offer?: object }) => ({ ...o, offer: { ...o.offer, [FIELD]: announce } })) }
      if (typeof params.answer === 'object' && params.answer !== null) params = { ...params, answer: { ...params.answer, [FIELD]: announce } }
    }
    send(params)
  }
  const onResponse = tracker._onAnnounceResponse.bind(tracker)
  tracker._onAnnounceResponse = (data) => {
    const key = data.offer !== undefined ? 'offer' : 'answer'
    const carrier = data[key] as Record<string, unknown> | undefined
    if (typeof carrier !== 'object' || carrier === null || !(FIELD in carrier)) return onResponse(data)
    const { [FIELD]: carried, ...description } = carrier
    const announce = decodeAnnounce(carried)
    // the tracker sends peer ids as binary strings
    if (announce !== undefined && typeof data.peer_id === 'string') opts.incoming(Buffer.from(data.peer_id, 'binary').toString('hex'), announce)
    // the session description goes on to WebRTC as the remote sent it
    onResponse({ ...data, [key]: description })
  }
}
