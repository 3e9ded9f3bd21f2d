/**
 * Which side of a WebRTC connection runs DTLS as the client. An offer says `a=setup:actpass`, so
 * the answerer picks, and node-datachannel's answerer picks client: it sends its ClientHello as soon
 * as ICE connects on its side, which is often before the offerer has even received the answer.
 * That hello is lost and DTLS retransmits it after its 1 s initial timeout: measured, 1 s of most
 * connections on loopback. An offer read as `a=setup:active` makes the offerer the client instead:
 * it starts DTLS once it has the answer, when the answerer already listens (2 ms). RFC 4145 and
 * RFC 8842 allow an active offerer; the answer then says `passive`.
 */

interface Description { type?: string, sdp?: string }

/** The offer as the answering side should read it: the offerer as the DTLS client. Anything else is returned as it is. */
export function offerAsDtlsClient<T> (signal: T): T {
  const description = signal as Description | null
  if (typeof description !== 'object' || description === null || description.type !== 'offer' || typeof description.sdp !== 'string') return signal
  return { ...signal, sdp: description.sdp.replace(/^a=setup:actpass(\r?)$/gm, 'a=setup:active$1') }
}

/** The slice of bittorrent-tracker's WebSocketTracker that receives offers. */
export interface OfferHooks {
  _onAnnounceResponse: (data: { offer?: unknown }) => void
}

/** Offers a tracker brings are read with the offerer as the DTLS client (see offerAsDtlsClient). */
export function readOffersAsDtlsClient (tracker: OfferHooks): void {
  const onResponse = tracker._onAnnounceResponse.bind(tracker)
  tracker._onAnnounceResponse = (data) => onResponse(data.offer === undefined ? data : { ...data, offer: offerAsDtlsClient(data.offer) })
}
