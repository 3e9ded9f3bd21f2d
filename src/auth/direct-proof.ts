import { GasError } from '../errors.js'
import { announceBytes } from '../peer/transport/direct-announce.js'
import type { DirectBinding, DirectProof, DirectSecurity } from '../peer/transport/direct-proof.js'
import { signBytes, verifyBytes, type Identity } from '../repo/identity.js'
import { verifyCertificate, type MemberCertificate, type TeamRef } from './member-certificate.js'

/**
 * Member proofs for the direct (TLS) path: each side signs the TLS exporter value of the
 * connection with its member key and presents its certificate, so only members of our team
 * complete the handshake, and what follows is bound to that one TLS session. The session's signed
 * HELLO still runs over it afterwards; this proof comes first so a non-member learns nothing.
 */
export function directProofBytes (binding: DirectBinding, peerId: string, publicKey: string, teamId: string | null): Uint8Array {
  // why: a label of its own, so a direct proof is never a valid HELLO signature or the reverse
  return Buffer.from(`gas-direct-1\0${binding.role}\0${binding.exporter}\0${peerId}\0${publicKey}\0${teamId ?? ''}`)
}

/** `refuse`: the workspace's further checks of a proof that passed (revocations, refuseRevoked), run before the session exists */
export function directSecurity (identity: Identity, team: TeamRef | null, certificate: () => Promise<MemberCertificate | null>, refuse?: (proof: DirectProof) => Promise<void>): DirectSecurity {
  return {
    prove: async ({ exporter, role, peerId }) => ({
      peerId,
      name: identity.name,
      publicKey: identity.publicKey,
      teamId: team?.id ?? null,
      certificate: await certificate(),
      signature: signBytes(identity, directProofBytes({ exporter, role }, peerId, identity.publicKey, team?.id ?? null))
    }),
    check: async (proof, binding) => {
      checkDirectProof(proof, binding, team)
      await refuse?.(proof)
    },
    signAnnounce: (announce) => ({ ...announce, signature: signBytes(identity, announceBytes(announce)) }),
    checkAnnounce: (announce) => announce.teamId === (team?.id ?? null) && verifyBytes(announce.publicKey, announceBytes(announce), announce.signature)
  }
}

/** Refuses a proof that is not our team member's signature over this connection's binding. */
export function checkDirectProof (proof: DirectProof, binding: DirectBinding, team: TeamRef | null): void {
  const who = proof.name
  if (!verifyBytes(proof.publicKey, directProofBytes(binding, proof.peerId, proof.publicKey, proof.teamId), proof.signature)) {
    throw new GasError('E_AUTH', `${who} did not prove it holds key ${proof.publicKey.slice(0, 16)}… on this connection`, { peer: who })
  }
  if (team === null) return
  if (proof.teamId !== team.id) throw new GasError('E_AUTH', `${who} belongs to another team`, { peer: who })
  if (proof.certificate === null) throw new GasError('E_AUTH', `${who} presented no membership certificate of team ${team.name}: not a member`, { peer: who })
  verifyCertificate(proof.certificate, team, who)
  if (proof.certificate.member.publicKey !== proof.publicKey) {
    throw new GasError('E_AUTH', `${who} presented ${proof.certificate.member.name}'s certificate, which is for another key`, { peer: who })
  }
}
