import { GasError } from '../errors.js'
import { PROTOCOL_VERSION, type HelloMessage } from '../peer/wire/messages.js'
import type { HelloProof } from '../peer/session/session-options.js'
import { signBytes, verifyBytes, type Identity } from '../repo/identity.js'
import { verifyCertificate, type MemberCertificate, type TeamRef } from './member-certificate.js'

/**
 * What a peer signs in its signed HELLO: the verifier's fresh nonce and its own, bound to its key
 * and team. Both nonces make the signature valid for this one connection only: it cannot be
 * replayed, nor relayed into another handshake that has other nonces.
 */
export function challengeBytes (verifierNonce: string, signerNonce: string, signerPublicKey: string, teamId: string | null): Uint8Array {
  return Buffer.from(`gas-hello-2\0${verifierNonce}\0${signerNonce}\0${signerPublicKey}\0${teamId ?? ''}`)
}

/** The HELLO signer for a member: the signature over both nonces and the member's certificate. */
export function signChallenge (identity: Identity, teamId: string | null, certificate: () => Promise<MemberCertificate | null>): (challenge: { remoteNonce: string, ourNonce: string }) => Promise<HelloProof> {
  return async ({ remoteNonce, ourNonce }) => ({
    signature: signBytes(identity, challengeBytes(remoteNonce, ourNonce, identity.publicKey, teamId)),
    certificate: await certificate()
  })
}

/**
 * Refuses a remote that is not a member of `team`: it must speak protocol version 2 or later
 * (version 1 carries no certificate), sign our nonce and its own with the key it names, and
 * present a certificate for that key signed by our team's root key (from our config) or an admin.
 * Without a team (a workspace not in one) only the key is proven.
 */
export function verifyMember (team: TeamRef | null): (remote: HelloMessage, ourNonce: string) => void {
  return (remote, ourNonce) => {
    const who = remote.name
    if (remote.version < 2) {
      throw new GasError('E_PROTOCOL_VERSION', `${who} speaks protocol version ${remote.version}, which carries no membership certificate; upgrade gas on ${who} (this build speaks version ${PROTOCOL_VERSION})`, { peer: who, version: remote.version })
    }
    if (remote.signature === null || !verifyBytes(remote.publicKey, challengeBytes(ourNonce, remote.nonce, remote.publicKey, remote.teamId), remote.signature)) {
      throw new GasError('E_AUTH', `${who} did not prove it holds key ${remote.publicKey.slice(0, 16)}…`, { peer: who })
    }
    if (team === null) return
    if (remote.teamId !== team.id) throw new GasError('E_AUTH', `${who} belongs to another team`, { peer: who })
    if (remote.certificate === null) throw new GasError('E_AUTH', `${who} presented no membership certificate of team ${team.name}: not a member`, { peer: who })
    verifyCertificate(remote.certificate, team, who)
    if (remote.certificate.member.publicKey !== remote.publicKey) {
      throw new GasError('E_AUTH', `${who} presented ${remote.certificate.member.name}'s certificate, which is for another key`, { peer: who })
    }
  }
}
