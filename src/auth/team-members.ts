import { GasError } from '../errors.js'
import type { Workspace } from '../repo/workspace.js'
import { ISSUING_ROLES, ROLES, issueCertificate, readOwnCertificate, readTeamRootKey, writeCertificate, type MemberCertificate } from './member-certificate.js'
import { listMembers, memberCertificate, nextIssued, recordCertificate, recordRevocation, type ListedMember } from './team-directory.js'
import { teamRecordsOf } from './team-policy.js'
import { signTeamRecord, type RevocationRecord } from './team-record.js'

/**
 * `gas team revoke`, `gas team roles`, `gas team list`: changes to membership are signed records
 * (team-record.ts) that spread to every peer with the next syncs.
 */

export type { ListedMember } from './team-directory.js'

async function issuingCertificate (ws: Workspace, what: string): Promise<MemberCertificate> {
  const cert = await readOwnCertificate(ws)
  if (cert === null || !cert.member.roles.some((r) => ISSUING_ROLES.includes(r))) {
    throw new GasError('E_ACCESS_DENIED', `only a lead or admin can ${what}; this member's roles are ${cert?.member.roles.join(', ') ?? 'none'}`)
  }
  // why: the signer's own certificate travels with what it signs, so peers that never met it can check its role
  await recordCertificate(teamRecordsOf(ws), cert, ws.identity.name, ws.clock.now())
  return cert
}

/** A member by name (or a prefix of their public key, at least 8 hex digits), among those this workspace knows. */
export async function findMember (ws: Workspace, nameOrKey: string): Promise<ListedMember> {
  const members = await listMembers(teamRecordsOf(ws))
  const byKey = /^[0-9a-f]{8,64}$/.test(nameOrKey) ? members.filter((m) => m.publicKey.startsWith(nameOrKey)) : []
  const found = byKey.length > 0 ? byKey : members.filter((m) => m.name === nameOrKey)
  if (found.length === 0) throw GasError.notFound(`member "${nameOrKey}"`, { hint: 'see `gas team list`; a member is known once added here or met through a sync' })
  if (found.length > 1) throw new GasError('E_AMBIGUOUS_ID', `${found.length} members are named "${nameOrKey}"; give a prefix of the public key instead (see \`gas team list --json\`)`, { name: nameOrKey })
  return found[0]
}

/** `gas team revoke NAME`: signs and stores a revocation; peers refuse the key once they have it. */
export async function revokeMember (ws: Workspace, nameOrKey: string): Promise<RevocationRecord> {
  const rs = teamRecordsOf(ws)
  const by = await issuingCertificate(ws, 'revoke a member')
  const member = await findMember(ws, nameOrKey)
  if (member.publicKey === ws.identity.publicKey) throw GasError.badArgument('a member cannot revoke themselves; ask another lead or admin')
  if (member.revoked) throw new GasError('E_ALREADY_EXISTS', `${member.name} is already revoked`, { publicKey: member.publicKey })
  const now = ws.clock.now()
  const record = signTeamRecord<RevocationRecord>(ws.identity, { kind: 'revocation', team: rs.team.id, publicKey: member.publicKey, name: member.name, time: Math.floor(now / 1000), by })
  await recordRevocation(rs, record, ws.identity.name, now)
  return record
}

/**
 * Issues `member` a new certificate, dated now so it supersedes older ones: with the team root key
 * when this workspace holds it (the lead), else with this admin's key (its certificate travels as issuer).
 */
export async function certifyMember (ws: Workspace, member: { name: string, publicKey: string, roles: string[] }): Promise<MemberCertificate> {
  const team = ws.config.team
  if (team === null) throw GasError.badArgument('this workspace has no team: make one with `gas team create NAME`, or join one with `gas team join INVITE`')
  if (member.roles.length === 0) throw GasError.badArgument(`give at least one role (${ROLES.join(', ')})`)
  for (const role of member.roles) if (!(ROLES as readonly string[]).includes(role)) throw GasError.badArgument(`unknown role "${role}"; one of ${ROLES.join(', ')}`)
  const issued = await nextIssued(teamRecordsOf(ws), member.publicKey, ws.clock.now())
  const certified = { name: member.name, publicKey: member.publicKey, roles: [...new Set(member.roles)].sort(), issued }
  const root = await readTeamRootKey(ws).catch(() => undefined)
  if (root !== undefined) return issueCertificate(root, team.id, certified)
  const own = await issuingCertificate(ws, 'certify members')
  if (own.issuer !== undefined) throw new GasError('E_ACCESS_DENIED', 'only an admin certified by the team root key itself can certify members')
  return issueCertificate(ws.identity, team.id, certified, own)
}

/** `gas team roles NAME ROLE...`: a new certificate with these roles supersedes the member's old one on every peer. */
export async function changeRoles (ws: Workspace, nameOrKey: string, roles: string[]): Promise<MemberCertificate> {
  const rs = teamRecordsOf(ws)
  await issuingCertificate(ws, 'change roles')
  const member = await findMember(ws, nameOrKey)
  if (member.revoked) throw new GasError('E_REVOKED', `${member.name}'s membership was revoked; add them again with a new key (\`gas team add\`)`, { publicKey: member.publicKey })
  const cert = await certifyMember(ws, { name: member.name, publicKey: member.publicKey, roles })
  await recordCertificate(rs, cert, ws.identity.name, ws.clock.now())
  if (member.publicKey === ws.identity.publicKey) await adoptOwnCertificate(ws, cert)
  return cert
}

/** Our own newer certificate (roles changed elsewhere): it becomes the one we present, and our roles. */
export async function adoptOwnCertificate (ws: Workspace, cert: MemberCertificate): Promise<void> {
  if (cert.member.publicKey !== ws.identity.publicKey) return
  const held = await memberCertificate(teamRecordsOf(ws), cert.member.publicKey).catch(() => undefined)
  if (held !== undefined && held.signature !== cert.signature && (held.member.issued ?? 0) > (cert.member.issued ?? 0)) return
  await writeCertificate(ws, cert)
  ws.config = { ...ws.config, roles: cert.member.roles }
  await ws.saveConfig()
}

/** `gas team list`: every member known here, with roles and whether they are revoked. */
export async function teamMembers (ws: Workspace): Promise<ListedMember[]> {
  return await listMembers(teamRecordsOf(ws))
}
