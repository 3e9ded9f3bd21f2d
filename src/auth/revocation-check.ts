import { GasError } from '../errors.js'
import type { HelloCertificate } from '../peer/wire/messages.js'
import { revocationOf, type TeamRecords } from './team-directory.js'

/**
 * Refuses (E_REVOKED) a remote whose key, or whose certifying admin's key, this workspace holds a
 * revocation of. Used by every way in: HELLO (peer-security.ts) and the direct path's proof
 * (direct-proof.ts), so a revoked member completes neither handshake. The records are read on every
 * connection, since another process of the workspace (a sync) may have learnt the revocation.
 */
export async function refuseRevoked (rs: Pick<TeamRecords, 'store' | 'refs' | 'team'>, remote: { name: string, publicKey: string, certificate: HelloCertificate | null }): Promise<void> {
  const revoked = await revocationOf(rs, remote.publicKey)
  if (revoked !== undefined) {
    throw new GasError('E_REVOKED', `${remote.name}'s membership of ${rs.team.name} was revoked by ${revoked.by.member.name}`, { peer: remote.name, publicKey: remote.publicKey })
  }
  // an admin's revocation takes the certificates it issued with it
  const issuer = remote.certificate?.issuer?.member
  if (issuer !== undefined && (await revocationOf(rs, issuer.publicKey)) !== undefined) {
    throw new GasError('E_REVOKED', `${remote.name}'s certificate was issued by ${issuer.name}, whose membership of ${rs.team.name} was revoked; ask a lead for a new invite`, { peer: remote.name, publicKey: remote.publicKey })
  }
}
