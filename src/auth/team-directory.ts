import { GasError } from '../errors.js'
import type { ObjectId } from '../objects/id.js'
import type { ObjectStore } from '../objects/store.js'
import { TEAM_REF_PREFIX } from '../peer/sync/ref-exchange.js'
import type { RefStore } from '../refs/ref-store.js'
import { TEAM_MEMBERS_PREFIX, TEAM_REVOKED_PREFIX } from '../refs/team-ref.js'
import { parseWriteRules } from './write-rights.js'
import { verifyCertificate, type MemberCertificate, type TeamRef } from './member-certificate.js'
import { decodeTeamRecord, encodeTeamRecord, verifySignedRecord, type PolicyRecord, type RevocationRecord, type SignerContext, type TeamRecord } from './team-record.js'

/**
 * The team's records as a workspace holds them: refs/team/members/<key> (newest certificate per
 * member), refs/team/revoked/<key> (a revocation; never removed) and refs/team/policy. They are
 * advertised and fetched like other refs, and adopted only after their signatures check out
 * (`adoptTeamRecords`), so a peer learns a revocation from whoever has it.
 */

export const POLICY_REF = 'refs/team/policy'
const MEMBERS = TEAM_MEMBERS_PREFIX
const REVOKED = TEAM_REVOKED_PREFIX

export const memberRef = (publicKey: string): string => `${MEMBERS}${publicKey}`
export const revokedRef = (publicKey: string): string => `${REVOKED}${publicKey}`

/** Where team records live: a workspace's store and refs (or any pair, e.g. in memory). */
export interface TeamRecords { store: ObjectStore, refs: RefStore, team: TeamRef }

export async function readRecord (rs: Pick<TeamRecords, 'store' | 'refs'>, ref: string): Promise<{ id: ObjectId, record: TeamRecord } | undefined> {
  const id = await rs.refs.read(ref)
  if (id === undefined) return undefined
  const object = await rs.store.get(id)
  if (object.type !== 'team') throw new GasError('E_CORRUPT_OBJECT', `${ref} names a ${object.type} object, not a team record`, { ref })
  return { id, record: decodeTeamRecord(object.body) }
}

export async function revocationOf (rs: Pick<TeamRecords, 'store' | 'refs'>, publicKey: string): Promise<RevocationRecord | undefined> {
  const found = await readRecord(rs, revokedRef(publicKey))
  return found?.record.kind === 'revocation' ? found.record : undefined
}

export async function isRevoked (rs: Pick<TeamRecords, 'refs'>, publicKey: string): Promise<boolean> {
  return (await rs.refs.read(revokedRef(publicKey))) !== undefined
}

export async function memberCertificate (rs: Pick<TeamRecords, 'store' | 'refs'>, publicKey: string): Promise<MemberCertificate | undefined> {
  const found = await readRecord(rs, memberRef(publicKey))
  return found?.record.kind === 'certificate' ? found.record.certificate : undefined
}

export async function readPolicyRecord (rs: Pick<TeamRecords, 'store' | 'refs'>): Promise<PolicyRecord | undefined> {
  const found = await readRecord(rs, POLICY_REF)
  return found?.record.kind === 'policy' ? found.record : undefined
}

export function signerContext (rs: TeamRecords): SignerContext {
  return { team: rs.team, isRevoked: async (key) => await isRevoked(rs, key), newestCertificate: async (key) => await memberCertificate(rs, key) }
}

export interface ListedMember { name: string, publicKey: string, roles: string[], issued: number | null, revoked: boolean }

/** Every member this workspace knows of (certificates met or spread to it), with revocations. */
export async function listMembers (rs: Pick<TeamRecords, 'store' | 'refs'>): Promise<ListedMember[]> {
  const out: ListedMember[] = []
  const revoked = new Set((await rs.refs.list(REVOKED)).map((r) => r.name.slice(REVOKED.length)))
  for (const ref of await rs.refs.list(MEMBERS)) {
    const cert = await memberCertificate(rs, ref.name.slice(MEMBERS.length)).catch(() => undefined)
    if (cert === undefined) continue
    out.push({ name: cert.member.name, publicKey: cert.member.publicKey, roles: cert.member.roles, issued: cert.member.issued ?? null, revoked: revoked.has(cert.member.publicKey) })
  }
  for (const key of revoked) {
    if (out.some((m) => m.publicKey === key)) continue
    const r = await revocationOf(rs, key).catch(() => undefined)
    out.push({ name: r?.name ?? key.slice(0, 16), publicKey: key, roles: [], issued: null, revoked: true })
  }
  return out.sort((a, b) => a.name.localeCompare(b.name) || a.publicKey.localeCompare(b.publicKey))
}

/** Newer wins; the same time is broken by signature so every peer keeps the same one. */
function newer (a: MemberCertificate, b: MemberCertificate | undefined): boolean {
  if (b === undefined) return true
  const ta = a.member.issued ?? 0
  const tb = b.member.issued ?? 0
  return ta > tb || (ta === tb && a.signature > b.signature)
}

/** Now (UTC seconds), or just after the certificate held for the key (same second, or a clock behind): a new certificate must win everywhere. */
export async function nextIssued (rs: Pick<TeamRecords, 'store' | 'refs'>, publicKey: string, nowMs: number): Promise<number> {
  const held = await memberCertificate(rs, publicKey).catch(() => undefined)
  return Math.max(Math.floor(nowMs / 1000), (held?.member.issued ?? 0) + 1)
}

async function writeRecord (rs: TeamRecords, ref: string, record: TeamRecord, who: string, now: number): Promise<ObjectId> {
  const id = await rs.store.put('team', encodeTeamRecord(record))
  await rs.refs.update({ name: ref, newId: id, message: `team: ${record.kind}`, who, now })
  return id
}

/** Records `cert` (checked against our team) when it is newer than the one held for its key; true when it was. */
export async function recordCertificate (rs: TeamRecords, cert: MemberCertificate, who: string, now: number): Promise<boolean> {
  verifyCertificate(cert, rs.team)
  if (!newer(cert, await memberCertificate(rs, cert.member.publicKey).catch(() => undefined))) return false
  await writeRecord(rs, memberRef(cert.member.publicKey), { kind: 'certificate', certificate: cert }, who, now)
  return true
}

/** Records a checked revocation; the first one held for a key stays (any valid one revokes). */
export async function recordRevocation (rs: TeamRecords, record: RevocationRecord, who: string, now: number): Promise<boolean> {
  await verifySignedRecord(record, signerContext(rs))
  if (await isRevoked(rs, record.publicKey)) return false
  await writeRecord(rs, revokedRef(record.publicKey), record, who, now)
  return true
}

/** Records a checked policy when its version is higher than the one held. */
export async function recordPolicy (rs: TeamRecords, record: PolicyRecord, who: string, now: number): Promise<boolean> {
  await verifySignedRecord(record, signerContext(rs))
  try {
    parseWriteRules(record.policy.write)
  } catch (err) {
    throw new GasError('E_CORRUPT_OBJECT', `team policy version ${record.policy.version}: ${(err as Error).message}`)
  }
  const held = await readPolicyRecord(rs).catch(() => undefined)
  if (held !== undefined && held.policy.version >= record.policy.version) return false
  await writeRecord(rs, POLICY_REF, record, who, now)
  return true
}

export interface RejectedTeamRecord { ref: string, id: ObjectId, code: string, message: string }

export interface AdoptedTeamRecords {
  adopted: string[]
  rejected: RejectedTeamRecord[]
  /** certificates adopted for these keys (our own: its roles changed) */
  certificates: MemberCertificate[]
}

/**
 * Adopts a peer's advertised team records whose objects are in `source` (fetched by the sync):
 * revocations first (they bind what follows), then certificates, then the policy. A record that
 * does not check out is rejected and reported, never stored; the peer's other records still count.
 */
export async function adoptTeamRecords (rs: TeamRecords, source: ObjectStore, advertised: Array<{ name: string, id: ObjectId }>, who: string, now: number): Promise<AdoptedTeamRecords> {
  const out: AdoptedTeamRecords = { adopted: [], rejected: [], certificates: [] }
  const order = (name: string): number => name.startsWith(REVOKED) ? 0 : name.startsWith(MEMBERS) ? 1 : 2
  const refs = advertised.filter((r) => r.name.startsWith(TEAM_REF_PREFIX)).sort((a, b) => order(a.name) - order(b.name))
  for (const { name, id } of refs) {
    if ((await rs.refs.read(name).catch(() => undefined)) === id) continue
    try {
      if (!(await source.has(id))) continue
      const object = await source.get(id)
      if (object.type !== 'team') throw new GasError('E_CORRUPT_OBJECT', `${name} names a ${object.type} object, not a team record`)
      const record = decodeTeamRecord(object.body)
      let taken = false
      if (name.startsWith(REVOKED) && record.kind === 'revocation' && name === revokedRef(record.publicKey)) taken = await recordRevocation(rs, record, who, now)
      else if (name.startsWith(MEMBERS) && record.kind === 'certificate' && name === memberRef(record.certificate.member.publicKey)) {
        taken = await recordCertificate(rs, record.certificate, who, now)
        if (taken) out.certificates.push(record.certificate)
      } else if (name === POLICY_REF && record.kind === 'policy') taken = await recordPolicy(rs, record, who, now)
      else throw new GasError('E_CORRUPT_OBJECT', `${name} holds a ${record.kind} record, which does not belong there`)
      if (taken) out.adopted.push(name)
    } catch (err) {
      if (!(err instanceof GasError) || err.code === 'E_IO' || err.code === 'E_DISK_FULL') throw err
      out.rejected.push({ ref: name, id, code: err.code, message: err.message })
    }
  }
  return out
}
