import { join } from 'node:path'
import { GasError, fromFsError } from '../errors.js'
import { writeFileAtomic } from '../objects/atomic-write.js'
import type { Workspace } from '../repo/workspace.js'
import { readOwnCertificate, verifyCertificate, type MemberCertificate } from './member-certificate.js'

/** Certificates this workspace has issued (`gas team add`), one file per member key, so `gas team list` can name them. */
export const ISSUED_DIR = 'members'

export interface KnownMember {
  name: string
  publicKey: string
  roles: string[]
  /** how this workspace knows the member: its own certificate, one it issued, or the issuer of its own */
  source: 'self' | 'issued' | 'issuer'
}

/** Keeps a certificate this workspace issued, so the team's members can be listed later. */
export async function recordIssuedCertificate (ws: Workspace, cert: MemberCertificate): Promise<void> {
  const dir = join(ws.gasDir, ISSUED_DIR)
  await ws.fs.mkdir(dir, { recursive: true }).catch((err) => { throw fromFsError(err, dir) })
  await writeFileAtomic(ws.fs, join(dir, `${cert.member.publicKey}.json`), JSON.stringify(cert, null, 2), { what: 'member certificate' })
}

/**
 * The members this workspace knows from certificates: its own, the admin who issued it, and those
 * it issued. Only certificates that verify against the team root key count; one per key (the
 * newest issue wins, as a re-invite changes roles).
 */
export async function knownMembers (ws: Workspace): Promise<KnownMember[]> {
  const team = ws.config.team
  if (team === null) throw GasError.badArgument('this workspace has no team: run `gas init --team NAME` or `gas team join INVITE`')
  const byKey = new Map<string, KnownMember>()
  const add = (cert: MemberCertificate, source: KnownMember['source']): void => {
    try {
      verifyCertificate(cert, team)
    } catch {
      return // a certificate the root key does not vouch for names nobody
    }
    if (source !== 'self' && byKey.get(cert.member.publicKey)?.source === 'self') return
    byKey.set(cert.member.publicKey, { name: cert.member.name, publicKey: cert.member.publicKey, roles: [...cert.member.roles].sort(), source })
  }
  const own = await readOwnCertificate(ws)
  if (own !== null) {
    add(own, 'self')
    if (own.issuer !== undefined) add(own.issuer, 'issuer')
  }
  for (const cert of await readIssued(ws)) add(cert, 'issued')
  return [...byKey.values()].sort((a, b) => a.name.localeCompare(b.name) || a.publicKey.localeCompare(b.publicKey))
}

async function readIssued (ws: Workspace): Promise<MemberCertificate[]> {
  const dir = join(ws.gasDir, ISSUED_DIR)
  let names: string[]
  try {
    names = await ws.fs.readdir(dir)
  } catch (err) {
    if ((err as NodeJS.ErrnoException)?.code === 'ENOENT') return []
    throw fromFsError(err, dir)
  }
  const out: MemberCertificate[] = []
  for (const name of names.filter((n) => n.endsWith('.json')).sort()) {
    const path = join(dir, name)
    const text = await ws.fs.readFile(path, 'utf8').catch((err) => { throw fromFsError(err, path) })
    try {
      out.push(JSON.parse(text) as MemberCertificate)
    } catch {
      throw new GasError('E_AUTH', `${path} is not valid JSON; remove it and re-issue that member's invite`, { path })
    }
  }
  return out
}
