import { GasError } from '../errors.js'
import { canonicalJson, decodeCanonical, encodeCanonical } from '../objects/canonical-json.js'
import { signBytes, verifyBytes, type Identity } from '../repo/identity.js'
import { ISSUING_ROLES, verifyCertificate, type MemberCertificate, type TeamRef } from './member-certificate.js'

/**
 * Team records: what a team decides, signed, stored as `team` objects and spread between peers
 * under refs/team/ like any other ref (see team-directory.ts):
 * - `certificate`: a member's certificate (signed by the root key or an admin); the newest per key wins;
 * - `revocation`: a lead/admin says a key is no longer a member, from `time` on;
 * - `policy`: the team's access policy document (team-policy.ts), the highest `version` wins.
 * Revocations and policies are signed by a lead/admin member key whose certificate travels as `by`.
 */

export interface CertificateRecord { kind: 'certificate', certificate: MemberCertificate }

export interface RevocationRecord {
  kind: 'revocation'
  team: string
  /** the revoked key and the name it had */
  publicKey: string
  name: string
  /** UTC seconds */
  time: number
  by: MemberCertificate
  signature: string
}

/** The policy document: `read` is opaque here (src/auth/read-rights.ts owns its format), `write` is write-rights.ts's */
export interface PolicyDocument { version: number, read: unknown[], write: unknown[] }

export interface PolicyRecord {
  kind: 'policy'
  team: string
  policy: PolicyDocument
  time: number
  by: MemberCertificate
  signature: string
}

export type TeamRecord = CertificateRecord | RevocationRecord | PolicyRecord
type SignedRecord = RevocationRecord | PolicyRecord

/** why: a team record is a certificate or two and a policy of a few hundred rules; more is not a record worth decoding */
export const MAX_TEAM_RECORD_BYTES = 1024 * 1024

export function encodeTeamRecord (record: TeamRecord): Uint8Array {
  return encodeCanonical(record)
}

function signedRecordBytes (record: SignedRecord): Uint8Array {
  return Buffer.from(`gas-team-record\0${canonicalJson({ ...record, signature: null })}`)
}

/** Signs `unsigned` with `signer`, whose certificate `by` names it as a lead or admin. */
export function signTeamRecord<T extends SignedRecord> (signer: Identity, unsigned: Omit<T, 'signature'>): T {
  const record = { ...unsigned, signature: '' } as T
  return { ...record, signature: signBytes(signer, signedRecordBytes(record)) }
}

const fail = (why: string): GasError => new GasError('E_CORRUPT_OBJECT', `team record: ${why}`)

function isHex (value: unknown, bytes: number): value is string {
  return typeof value === 'string' && value.length === bytes * 2 && /^[0-9a-f]+$/.test(value)
}

function checkCertificateShape (value: unknown, depth = 0): MemberCertificate {
  const c = (value ?? {}) as Record<string, unknown>
  const m = (c.member ?? {}) as Record<string, unknown>
  if (typeof value !== 'object' || value === null || typeof c.team !== 'string' || !isHex(c.signature, 64)) throw fail('a certificate needs team and a signature')
  if (typeof m.name !== 'string' || !isHex(m.publicKey, 32) || !Array.isArray(m.roles) || !m.roles.every((r) => typeof r === 'string')) throw fail('a certificate member needs name, publicKey and roles')
  if (m.issued !== undefined && !Number.isSafeInteger(m.issued)) throw fail('a certificate\'s issued time must be an integer')
  if (c.issuer !== undefined) {
    if (depth > 0) throw fail('a certificate\'s issuer chain is longer than one')
    checkCertificateShape(c.issuer, depth + 1)
  }
  return value as MemberCertificate
}

export function decodeTeamRecord (body: Uint8Array): TeamRecord {
  if (body.byteLength > MAX_TEAM_RECORD_BYTES) throw fail(`${body.byteLength} bytes, more than ${MAX_TEAM_RECORD_BYTES}`)
  const value = decodeCanonical(body, 'team record') as Record<string, unknown>
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw fail('not an object')
  if (value.kind === 'certificate') return { kind: 'certificate', certificate: checkCertificateShape(value.certificate) }
  if (typeof value.team !== 'string' || !Number.isSafeInteger(value.time) || !isHex(value.signature, 64)) throw fail('a signed record needs team, time and signature')
  const by = checkCertificateShape(value.by)
  if (value.kind === 'revocation') {
    if (!isHex(value.publicKey, 32) || typeof value.name !== 'string') throw fail('a revocation needs publicKey and name')
    return { kind: 'revocation', team: value.team, publicKey: value.publicKey, name: value.name, time: value.time as number, by, signature: value.signature }
  }
  if (value.kind === 'policy') {
    const p = (value.policy ?? {}) as Record<string, unknown>
    if (!Number.isSafeInteger(p.version) || (p.version as number) < 1 || !Array.isArray(p.read) || !Array.isArray(p.write)) throw fail('a policy needs version ≥ 1, read and write arrays')
    return { kind: 'policy', team: value.team, policy: { version: p.version as number, read: p.read, write: p.write }, time: value.time as number, by, signature: value.signature }
  }
  throw fail(`unknown kind ${JSON.stringify(value.kind)}`)
}

/** What the checks of a signed record need to know about the team now. */
export interface SignerContext {
  team: TeamRef
  isRevoked: (publicKey: string) => boolean | Promise<boolean>
  /** the newest certificate known for a key (it may have taken the lead/admin role away) */
  newestCertificate: (publicKey: string) => MemberCertificate | undefined | Promise<MemberCertificate | undefined>
}

/** The roles a key holds now: those of the newest certificate known, `cert`'s when it is the newest. */
export async function currentRoles (cert: MemberCertificate, ctx: Pick<SignerContext, 'newestCertificate'>): Promise<string[]> {
  const newest = await ctx.newestCertificate(cert.member.publicKey)
  return newest !== undefined && (newest.member.issued ?? 0) > (cert.member.issued ?? 0) ? newest.member.roles : cert.member.roles
}

/**
 * Checks a revocation or policy: signed by the key its `by` certificate names, that certificate
 * valid for our team (root key from our config), its holder a lead or admin now and not revoked.
 */
export async function verifySignedRecord (record: SignedRecord, ctx: SignerContext): Promise<void> {
  const what = record.kind === 'policy' ? `team policy version ${record.policy.version}` : `revocation of ${record.name}`
  if (record.team !== ctx.team.id) throw new GasError('E_AUTH', `${what} is for another team`)
  verifyCertificate(record.by, ctx.team, record.by.member.name)
  if (!verifyBytes(record.by.member.publicKey, signedRecordBytes(record), record.signature)) {
    throw new GasError('E_BAD_SIGNATURE', `${what} is not signed by ${record.by.member.name}'s key: forged or altered`, { signer: record.by.member.publicKey })
  }
  if (await ctx.isRevoked(record.by.member.publicKey)) throw new GasError('E_REVOKED', `${what} is signed by ${record.by.member.name}, whose membership was revoked`, { signer: record.by.member.publicKey })
  const roles = await currentRoles(record.by, ctx)
  if (!roles.some((role) => ISSUING_ROLES.includes(role))) throw new GasError('E_ACCESS_DENIED', `${what} is signed by ${record.by.member.name}, who is not a lead or admin`, { signer: record.by.member.publicKey })
}
