import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { GasError, fromFsError } from '../errors.js'
import { canonicalJson } from '../objects/canonical-json.js'
import { signBytes, verifyBytes, type Identity } from '../repo/identity.js'
import type { Workspace } from '../repo/workspace.js'

/**
 * Team membership: a certificate names a member's key and roles, signed by the team root key, or
 * by an admin whose own certificate (signed by the root key) travels with it as `issuer`.
 */
export interface MemberCertificate {
  team: string
  /** `issued` (UTC seconds, absent on certificates made before roles could change): the newest certificate of a key supersedes older ones */
  member: { name: string, publicKey: string, roles: string[], issued?: number }
  signature: string
  issuer?: MemberCertificate
}
export interface TeamRef { id: string, name: string, rootPublicKey: string }

/** `build`: a build machine or its operator, who may publish refs/builds/* under the default write rules */
export const ROLES = ['lead', 'admin', 'artist', 'sound', 'programmer', 'qa', 'build'] as const

/** roles whose holders may sign other members' certificates */
export const ISSUING_ROLES = ['lead', 'admin']

export const CERTIFICATE_FILE = 'certificate.json'
export const TEAM_ROOT_FILE = 'team-root.json'

export function certificateBytes (team: string, member: MemberCertificate['member']): Uint8Array {
  return Buffer.from(`gas-member-certificate\0${canonicalJson({ member, team })}`)
}

/** Signs `member` into `team` with `signer` (the root key, or an admin holding `issuer`). */
export function issueCertificate (signer: Identity, team: string, member: MemberCertificate['member'], issuer?: MemberCertificate): MemberCertificate {
  const cert: MemberCertificate = { team, member, signature: signBytes(signer, certificateBytes(team, member)) }
  if (issuer !== undefined) cert.issuer = issuer
  return cert
}

/**
 * Checks that `cert` makes its member part of `team`: the team id, and a signature by the team
 * root key (from our own config, never from the peer) or by an admin certified by it.
 */
export function verifyCertificate (cert: MemberCertificate, team: TeamRef, who = cert.member.name): void {
  if (cert.team !== team.id) throw new GasError('E_AUTH', `${who}'s certificate is for another team (${cert.team.slice(0, 12)}…), not ${team.name}`, { peer: who })
  let signerKey = team.rootPublicKey
  if (cert.issuer !== undefined) {
    const issuer = cert.issuer
    if (issuer.issuer !== undefined) throw new GasError('E_AUTH', `${who}'s certificate was issued through a chain longer than one admin`, { peer: who })
    if (issuer.team !== team.id || !verifyBytes(team.rootPublicKey, certificateBytes(issuer.team, issuer.member), issuer.signature)) {
      throw new GasError('E_BAD_SIGNATURE', `${who}'s certificate was issued by ${issuer.member.name}, who is not certified by the ${team.name} root key`, { peer: who })
    }
    if (!issuer.member.roles.some((role) => ISSUING_ROLES.includes(role))) throw new GasError('E_AUTH', `${who}'s certificate was issued by ${issuer.member.name}, who is not an admin`, { peer: who })
    signerKey = issuer.member.publicKey
  }
  if (!verifyBytes(signerKey, certificateBytes(cert.team, cert.member), cert.signature)) {
    throw new GasError('E_BAD_SIGNATURE', `${who}'s certificate is not signed by the ${team.name} root key or an admin`, { peer: who })
  }
}

async function readJson (ws: Workspace, file: string): Promise<unknown> {
  const path = join(ws.gasDir, file)
  let text: string
  try {
    text = await ws.fs.readFile(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException)?.code === 'ENOENT') return undefined
    throw fromFsError(err, path)
  }
  try {
    return JSON.parse(text)
  } catch {
    throw new GasError('E_AUTH', `${path} is not valid JSON; ask the lead for a new invite`, { path })
  }
}

/** Writes through a uniquely named temporary file, so two processes never collide on it. */
async function writeJson (ws: Workspace, file: string, value: unknown): Promise<void> {
  const path = join(ws.gasDir, file)
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`
  try {
    await ws.fs.writeFile(tmp, JSON.stringify(value, null, 2))
    await ws.fs.rename(tmp, path)
  } catch (err) {
    await ws.fs.rm(tmp, { force: true }).catch(() => {})
    throw fromFsError(err, path)
  }
}

export async function writeCertificate (ws: Workspace, cert: MemberCertificate): Promise<void> {
  await writeJson(ws, CERTIFICATE_FILE, cert)
}

/** The team root key, held by the lead only. */
export async function readTeamRootKey (ws: Workspace): Promise<Identity | undefined> {
  return await readJson(ws, TEAM_ROOT_FILE) as Identity | undefined
}

/**
 * The lead certifies its own key with the team root key (done by `gas init --team`; a workspace
 * made before that gets it on first use). Members get theirs from an invite.
 */
export async function issueLeadCertificate (ws: Workspace): Promise<MemberCertificate> {
  const team = ws.config.team
  const root = await readTeamRootKey(ws)
  if (team === null || root === undefined) throw new GasError('E_DENIED', 'only the team lead (who holds the team root key) can certify itself')
  const roles = ws.config.roles.length > 0 ? [...ws.config.roles].sort() : ['lead']
  const cert = issueCertificate(root, team.id, { name: ws.identity.name, publicKey: ws.identity.publicKey, roles })
  await writeCertificate(ws, cert)
  return cert
}

/** This member's certificate, or null when the workspace holds none (not a member, whatever its config says). */
export async function readOwnCertificate (ws: Workspace): Promise<MemberCertificate | null> {
  const cert = await readJson(ws, CERTIFICATE_FILE) as MemberCertificate | undefined
  if (cert !== undefined) return cert
  if (ws.config.team !== null && (await readTeamRootKey(ws)) !== undefined) return await issueLeadCertificate(ws)
  return null
}
