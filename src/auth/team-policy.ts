import { parseReadRules } from './read-rights.js'
import { GasError } from '../errors.js'
import type { Workspace } from '../repo/workspace.js'
import { readOwnCertificate, type MemberCertificate } from './member-certificate.js'
import { readPolicyRecord, recordCertificate, recordPolicy, type TeamRecords } from './team-directory.js'
import { signTeamRecord, type PolicyDocument, type PolicyRecord } from './team-record.js'
import { parseWriteRules, type WriteRule } from './write-rights.js'

/**
 * The team access policy: `{"version": N, "read": [...], "write": [...]}`, signed by a lead or
 * admin, stored under refs/team/policy and spread to every peer, where the highest version that
 * checks out wins. `write` is write-rights.ts's rules; `read` is kept as it is and handed out by
 * `readRulesOf` (src/auth/read-rights.ts owns its format).
 */

export type { PolicyDocument, PolicyRecord } from './team-record.js'

export function teamRecordsOf (ws: Workspace): TeamRecords {
  const team = ws.config.team
  if (team === null) throw GasError.badArgument('this workspace has no team: make one with `gas team create NAME`, or join one with `gas team join INVITE`')
  return { store: ws.store, refs: ws.refs, team }
}

/**
 * Checks a policy document as a user wrote it. `version` may be left out: then it is one more than
 * `current`. A version not above `current` is refused (peers would keep the one they have).
 */
export function parsePolicyDocument (text: string, current: number): PolicyDocument {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw GasError.badArgument('the policy file is not valid JSON; it holds {"version": N, "read": [...], "write": [...]}')
  }
  const doc = (value ?? {}) as Record<string, unknown>
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw GasError.badArgument('the policy file must hold one JSON object {"version": N, "read": [...], "write": [...]}')
  const unknownKeys = Object.keys(doc).filter((k) => !['version', 'read', 'write'].includes(k))
  if (unknownKeys.length > 0) throw GasError.badArgument(`the policy has unknown sections: ${unknownKeys.join(', ')} (only version, read, write)`)
  const version = doc.version === undefined ? current + 1 : doc.version
  if (!Number.isSafeInteger(version) || (version as number) < 1) throw GasError.badArgument('the policy\'s "version" must be a positive integer')
  if ((version as number) <= current) throw GasError.badArgument(`the policy's version ${version as number} is not above the team's current version ${current}; peers keep the highest version, so use ${current + 1} (or leave "version" out)`)
  const read = doc.read === undefined ? [] : doc.read
  if (!Array.isArray(read)) throw GasError.badArgument('the policy\'s "read" must be an array of rules')
  parseReadRules(read)
  const write = doc.write === undefined ? [] : doc.write
  parseWriteRules(write)
  return { version: version as number, read, write: write as unknown[] }
}

/** The certificate this member signs team records with: it must name a lead or admin. */
async function signingCertificate (ws: Workspace, what: string): Promise<MemberCertificate> {
  const cert = await readOwnCertificate(ws)
  if (cert === null || !cert.member.roles.some((r) => r === 'lead' || r === 'admin')) {
    throw new GasError('E_ACCESS_DENIED', `only a lead or admin can ${what}; this member's roles are ${cert?.member.roles.join(', ') ?? 'none'}`)
  }
  return cert
}

/** `gas team policy set FILE`: signs the document and stores it as the team's newest policy. */
export async function setTeamPolicy (ws: Workspace, text: string): Promise<PolicyRecord> {
  const rs = teamRecordsOf(ws)
  const by = await signingCertificate(ws, 'set the team policy')
  const held = await readPolicyRecord(rs)
  const policy = parsePolicyDocument(text, held?.policy.version ?? 0)
  const now = ws.clock.now()
  const record = signTeamRecord<PolicyRecord>(ws.identity, { kind: 'policy', team: rs.team.id, policy, time: Math.floor(now / 1000), by })
  // why: the signer's own certificate travels too, so peers that never met them can check their role now
  await recordCertificate(rs, by, ws.identity.name, now)
  await recordPolicy(rs, record, ws.identity.name, now)
  return record
}

export interface ShownPolicy { version: number, read: unknown[], write: unknown[], signedBy: { name: string, publicKey: string } | null, time: number | null }

/** `gas team policy show`: the policy in force (version 0 and the defaults when none was set). */
export async function showTeamPolicy (ws: Workspace): Promise<ShownPolicy> {
  const record = ws.config.team === null ? undefined : await readPolicyRecord(teamRecordsOf(ws))
  if (record === undefined) return { version: 0, read: [], write: [], signedBy: null, time: null }
  return { ...record.policy, signedBy: { name: record.by.member.name, publicKey: record.by.member.publicKey }, time: record.time }
}

/** The `read` section as stored: the rules src/auth/read-rights.ts parses ([] without a policy). */
export function readRulesOf (record: PolicyRecord | undefined): unknown[] {
  return record?.policy.read ?? []
}

/** The `write` section, checked ([] without a policy: the defaults apply). A stored policy that fails the check counts as none. */
export function writeRulesOf (record: PolicyRecord | undefined): WriteRule[] {
  try {
    return record === undefined ? [] : parseWriteRules(record.policy.write)
  } catch {
    return []
  }
}

/** The read rules of the policy this workspace holds now. */
export async function readPolicyReadRules (ws: Workspace): Promise<unknown[]> {
  return ws.config.team === null ? [] : readRulesOf(await readPolicyRecord(teamRecordsOf(ws)))
}
