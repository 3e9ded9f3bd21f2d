import { GasError } from '../errors.js'
import type { MayServe } from '../peer/session/session-options.js'
import type { HelloMessage } from '../peer/wire/messages.js'
import type { PeerSecurity } from '../peer/sync/sync-engine.js'
import type { Workspace } from '../repo/workspace.js'
import { signChallenge, verifyMember } from './handshake.js'
import { directSecurity } from './direct-proof.js'
import type { DirectSecurity } from '../peer/transport/direct-proof.js'
import { readOwnCertificate, type MemberCertificate } from './member-certificate.js'
import { adoptTeamRecords, memberCertificate, readPolicyRecord, recordCertificate, revocationOf, type TeamRecords } from './team-directory.js'
import { refuseRevoked } from './revocation-check.js'
import { adoptOwnCertificate } from './team-members.js'
import { writeRulesOf } from './team-policy.js'
import { checkRefUpdate } from './write-rights.js'
import { loadReadPolicy } from './load-read-policy.js'
import { ReadGate } from './read-gate.js'
import { readIndexCacheIn } from './read-index-cache.js'
import { join } from 'node:path'
import type { ReadPolicy } from './read-rights.js'

export interface PeerSecurityOptions {
  /** read rules to enforce instead of the team policy's (`loadReadPolicy`) */
  readPolicy?: ReadPolicy
}

type WorkspaceSecurity = Required<Pick<PeerSecurity, 'sign' | 'verify'>> & Pick<PeerSecurity, 'adoptTeamRefs' | 'refUpdateCheck'> & { direct: DirectSecurity, mayServe: MayServe }

/**
 * HELLO signing and checks for this workspace's member, handed to the peer layer: every
 * connection proves our key and membership, and refuses a remote that cannot prove both or whose
 * key was revoked. In a team it also adopts the team records peers spread (revocations, newer
 * certificates, the policy) and checks every remote ref update against the write rights. What we
 * serve follows the read rights (`mayServe`): content outside the remote's roles is refused.
 */
export function peerSecurity (ws: Workspace, opts: PeerSecurityOptions = {}): WorkspaceSecurity {
  const team = ws.config.team
  const rs: TeamRecords | null = team === null ? null : { store: ws.store, refs: ws.refs, team }
  let certificate: Promise<MemberCertificate | null> | undefined
  const ownCertificate = async (): Promise<MemberCertificate | null> => {
    // why: read once per process (a serve answers many peers), and again after a failed read
    certificate ??= readOwnCertificate(ws).then(async (cert) => {
      // our certificate joins the team's member list we advertise, so peers that never met us know our roles
      if (cert !== null && rs !== null) await recordCertificate(rs, cert, ws.identity.name, ws.clock.now()).catch(() => {})
      return cert
    }).catch((err) => { certificate = undefined; throw err })
    const cert = await certificate
    if (cert === null && team !== null) {
      throw new GasError('E_AUTH', `this workspace holds no certificate of team ${team.name}, so peers will refuse it: ask the lead for an invite (\`gas team add\`) and run \`gas team join INVITE\``)
    }
    return cert
  }
  const member = verifyMember(team)
  const verify = async (remote: HelloMessage, ourNonce: string): Promise<void> => {
    member(remote, ourNonce)
    if (rs === null) return
    await refuseRevoked(rs, remote)
    if (remote.certificate !== null) await recordCertificate(rs, remote.certificate, ws.identity.name, ws.clock.now()).catch(() => {})
  }
  const sign = signChallenge(ws.identity, team?.id ?? null, ownCertificate)
  const direct = directSecurity(ws.identity, team, ownCertificate, rs === null ? undefined : async (proof) => await refuseRevoked(rs, proof))
  const readPolicy = opts.readPolicy
  const gate = new ReadGate({
    store: ws.store,
    refs: ws.refs,
    policy: readPolicy !== undefined ? async () => readPolicy : async () => await loadReadPolicy(ws),
    // why: `gas team roles` issues a newer certificate; a peer that holds it applies its roles, not the ones the remote presented
    newerRoles: rs === null ? undefined : async (remote) => await newerRolesOf(rs, remote),
    cache: readIndexCacheIn(ws.fs, join(ws.gasDir, 'cache', 'read-index'))
  })
  const mayServe = gate.mayServe
  if (rs === null) return { sign, verify, direct, mayServe }
  return {
    sign,
    verify,
    direct,
    mayServe,
    adoptTeamRefs: async ({ store, refs, peer }) => {
      const result = await adoptTeamRecords(rs, store, refs, `sync from ${peer}`, ws.clock.now())
      for (const cert of result.certificates) {
        if (cert.member.publicKey === ws.identity.publicKey) {
          await adoptOwnCertificate(ws, cert)
          certificate = undefined
        }
      }
      return result.rejected.map((r) => ({ ...r, peer }))
    },
    refUpdateCheck: async ({ store, isNew }) => {
      const rules = writeRulesOf(await readPolicyRecord(rs).catch(() => undefined))
      const ctx = {
        teamName: rs.team.name,
        rules,
        certificateOf: async (key: string) => await memberCertificate(rs, key),
        revocationOf: async (key: string) => await revocationOf(rs, key)
      }
      return async (ref, _local) => await checkRefUpdate(ctx, store, ref.name, ref.id, isNew)
    }
  }
}

/** The roles of a stored certificate of the remote's key newer than the one it presented (both verified before they were stored or accepted). */
async function newerRolesOf (rs: TeamRecords, remote: HelloMessage): Promise<readonly string[] | undefined> {
  const presented = remote.certificate
  if (presented === null) return undefined
  const held = await memberCertificate(rs, remote.publicKey).catch(() => undefined)
  if (held === undefined || held.signature === presented.signature || (held.member.issued ?? 0) <= ((presented.member as { issued?: number }).issued ?? 0)) return undefined
  return [...held.member.roles].sort()
}
