import { CAPABILITIES, PROTOCOL_VERSION, encodeMessage, type HelloMessage } from '../../src/peer/wire/messages.js'
import type { PeerIdentity } from '../../src/peer/session/session.js'

/** A HELLO frame as this build sends it (`extra` overrides fields, e.g. to speak as another version). */
export function helloFrame (id: PeerIdentity, nonce: string, signature: string | null = null, extra: Partial<HelloMessage> = {}): Uint8Array {
  return encodeMessage({ type: 'HELLO', version: PROTOCOL_VERSION, capabilities: [...CAPABILITIES], certificate: null, ...id, nonce, signature, ...extra })
}
