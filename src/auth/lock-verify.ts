import { GasError } from '../errors.js'
import { signedLockPart, type LockRecord } from '../objects/lock-record.js'
import { verifyBytes } from '../repo/identity.js'
import { ISSUING_ROLES, verifyCertificate, type MemberCertificate, type TeamRef } from './member-certificate.js'

/** roles that may break another member's lock */
export const LOCK_BREAKING_ROLES = ISSUING_ROLES

/**
 * Checks a lock record received from a peer before it is stored: signed by the member it names,
 * and, in a team, that member certified by the team (a break by a lead or admin only).
 * Throws E_BAD_SIGNATURE or E_AUTH; nothing is trusted because of the peer that sent it.
 */
export function verifyLockRecord (record: LockRecord, team: TeamRef | null): void {
  const who = record.member.name
  if (record.signature === null || !verifyBytes(record.member.publicKey, signedLockPart(record), record.signature)) {
    throw new GasError('E_BAD_SIGNATURE', `the ${record.kind} of ${record.path} said to be by ${who} is not signed by their key`, { path: record.path, member: who })
  }
  if (team === null) return
  const cert = asCertificate(record.certificate)
  if (cert === undefined) throw new GasError('E_AUTH', `the ${record.kind} of ${record.path} by ${who} carries no team certificate`, { path: record.path, member: who })
  verifyCertificate(cert, team, who)
  if (cert.member.publicKey !== record.member.publicKey) {
    throw new GasError('E_AUTH', `the ${record.kind} of ${record.path} by ${who} carries someone else's certificate (${cert.member.name})`, { path: record.path, member: who })
  }
  if (record.kind === 'break' && !cert.member.roles.some((role) => LOCK_BREAKING_ROLES.includes(role))) {
    throw new GasError('E_DENIED', `${who} broke ${record.holder}'s lock on ${record.path} but is not a lead or admin`, { path: record.path, member: who })
  }
}

function asCertificate (value: unknown): MemberCertificate | undefined {
  if (value === null || typeof value !== 'object') return undefined
  const c = value as Partial<MemberCertificate>
  const m = c.member
  const ok = typeof c.team === 'string' && typeof c.signature === 'string' && m !== null && typeof m === 'object' &&
    typeof m.name === 'string' && typeof m.publicKey === 'string' && Array.isArray(m.roles) && m.roles.every((r) => typeof r === 'string') &&
    (c.issuer === undefined || asCertificate(c.issuer) !== undefined)
  return ok ? c as MemberCertificate : undefined
}
