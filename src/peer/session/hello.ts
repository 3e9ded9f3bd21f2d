import { GasError } from '../../errors.js'
import { CAPABILITIES, PROTOCOL_VERSION, type HelloCertificate, type HelloMessage } from '../wire/messages.js'
import type { PeerIdentity } from './session-options.js'

/** Our HELLO: unsigned first, then (authentication on) signed over both nonces with our certificate. */
export function helloMessage (identity: PeerIdentity, nonce: string, signature: string | null, certificate: HelloCertificate | null): HelloMessage {
  const { peerId, name, publicKey, teamId, schedule } = identity
  return { type: 'HELLO', version: PROTOCOL_VERSION, capabilities: [...CAPABILITIES], peerId, name, publicKey, teamId, nonce, signature, certificate, ...(schedule !== undefined ? { schedule } : {}) }
}

/**
 * The remote's signed HELLO must come from the identity of its first one and carry a signature.
 * why: the signature binds the nonce of the first HELLO; a changed one would be a relayed handshake
 */
export function checkSignedHello (first: HelloMessage, signed: HelloMessage, name: string): void {
  if (signed.peerId !== first.peerId || signed.publicKey !== first.publicKey || signed.nonce !== first.nonce) {
    throw new GasError('E_AUTH', `${name} changed identity during the handshake`, { peer: name })
  }
  if (signed.signature === null) throw new GasError('E_AUTH', `${name} did not sign our challenge`, { peer: name })
}
