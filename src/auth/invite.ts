import { GasError } from '../errors.js'
import { parseHostPort } from '../peer/transport/direct-handshake.js'
import type { Workspace } from '../repo/workspace.js'
import { ISSUING_ROLES, ROLES, readOwnCertificate, readTeamRootKey, verifyCertificate, writeCertificate, type MemberCertificate, type TeamRef } from './member-certificate.js'
import { recordCertificate } from './team-directory.js'
import { certifyMember } from './team-members.js'
import { addIceServers, checkIceServers, loadIceServers, type IceServer } from '../peer/transport/ice-config.js'

export type { MemberCertificate, TeamRef } from './member-certificate.js'

export { ROLES } from './member-certificate.js'


/**
 * What `gas team add` writes and `gas team join` reads: everything a new member needs to find the
 * team, including its STUN/TURN servers (with TURN secrets: an invite is for one member's eyes).
 */
export interface Invite { gasInvite: 1, team: TeamRef, trackers: string[], ice?: IceServer[], certificate: MemberCertificate, /** direct (TLS) addresses of team peers: the inviter's fixed listen address and its `gas team peer` list */ peers?: string[] }


/**
 * Certifies a member's key and returns the invite for them: with the team root key (the lead), or
 * with an admin's own key, its certificate travelling inside the new one as issuer (DESIGN.md, Auth).
 */
export async function createInvite (ws: Workspace, opts: { publicKey: string, name: string, roles: string[] }): Promise<Invite> {
  const team = ws.config.team
  if (team === null) throw GasError.badArgument('this workspace has no team: make one with `gas team create NAME`, or join one with `gas team join INVITE`')
  if (!/^[0-9a-f]{64}$/.test(opts.publicKey)) throw GasError.badArgument('PUBLICKEY must be 64 hex digits (see `gas whoami --json` on the new member\'s machine)')
  if (opts.name.trim() === '') throw GasError.badArgument('--name must not be empty')
  if (opts.roles.length === 0) throw GasError.badArgument(`give at least one --role (${ROLES.join(', ')})`)
  for (const role of opts.roles) if (!(ROLES as readonly string[]).includes(role)) throw GasError.badArgument(`unknown role "${role}"; one of ${ROLES.join(', ')}`)
  if ((await readTeamRootKey(ws).catch(() => undefined)) === undefined) {
    const own = await readOwnCertificate(ws)
    if (own === null || own.issuer !== undefined || !own.member.roles.some((r) => ISSUING_ROLES.includes(r))) {
      throw new GasError('E_DENIED', `only the team lead or an admin certified by the team root key can add members; this member's roles are ${own?.member.roles.join(', ') ?? 'none'}`)
    }
  }
  // dated (certifyMember), so adding a member again (new roles) supersedes the certificate peers hold
  const certificate = await certifyMember(ws, { name: opts.name, publicKey: opts.publicKey, roles: opts.roles })
  // the team's member list spreads with the next syncs, so every peer knows this member's roles
  await recordCertificate({ store: ws.store, refs: ws.refs, team }, certificate, ws.identity.name, ws.clock.now())
  const ice = await loadIceServers(ws.gasDir)
  const peers = invitePeers(ws)
  return { gasInvite: 1, team, trackers: ws.config.trackers, ...(ice.length > 0 ? { ice } : {}), ...(peers.length > 0 ? { peers } : {}), certificate }
}

/**
 * Checks an invite's certificate against the team root key it names (signed by it, or by an admin
 * it certified), and that it is for this member.
 */
export function checkInvite (invite: unknown, myPublicKey: string): Invite {
  const i = invite as Invite
  if (i?.gasInvite !== 1 || typeof i.team?.rootPublicKey !== 'string' || typeof i.team.id !== 'string' || typeof i.team.name !== 'string' || typeof i.certificate?.signature !== 'string' || !Array.isArray(i.trackers) || !i.trackers.every((t) => typeof t === 'string')) {
    throw GasError.badArgument('not a gas invite file')
  }
  if (i.ice !== undefined) checkIceServers(i.ice, 'the invite')
  if (i.peers !== undefined && (!Array.isArray(i.peers) || !i.peers.every((a) => typeof a === 'string'))) throw GasError.badArgument('the invite\'s peers must be a list of HOST:PORT addresses')
  for (const address of i.peers ?? []) parseHostPort(address)
  if (i.certificate.team !== i.team.id) throw new GasError('E_AUTH', 'the invite\'s certificate is for another team')
  if (typeof i.certificate.member?.publicKey !== 'string' || !Array.isArray(i.certificate.member.roles)) throw GasError.badArgument('not a gas invite file')
  verifyCertificate(i.certificate, i.team, 'the invite')
  if (i.certificate.member.publicKey !== myPublicKey) throw new GasError('E_AUTH', `this invite is for ${i.certificate.member.name}'s key, not this workspace's (${myPublicKey.slice(0, 16)}…)`)
  return i
}

/** Joins the team an invite names: team, trackers and roles go into the config, the certificate beside it. */
export async function joinTeam (ws: Workspace, inviteText: string): Promise<Invite> {
  let parsed: unknown
  try {
    parsed = JSON.parse(inviteText)
  } catch {
    throw GasError.badArgument('the invite is not valid JSON')
  }
  const invite = checkInvite(parsed, ws.identity.publicKey)
  await writeCertificate(ws, invite.certificate)
  ws.config = { ...ws.config, team: invite.team, trackers: [...new Set([...ws.config.trackers, ...invite.trackers])], roles: invite.certificate.member.roles }
  if (invite.peers !== undefined && invite.peers.length > 0) ws.config.peers = [...new Set([...(ws.config.peers ?? []), ...invite.peers])]
  await ws.saveConfig()
  if (invite.ice !== undefined && invite.ice.length > 0) await addIceServers(ws.gasDir, checkIceServers(invite.ice, 'the invite'))
  return invite
}

/** The direct addresses an invite carries: the inviter's listen address when it is a fixed one, and the peers it knows. */
function invitePeers (ws: Workspace): string[] {
  const listen = ws.config.listen === undefined ? undefined : parseHostPort(ws.config.listen, '0.0.0.0')
  const own = listen !== undefined && listen.port !== 0 && listen.host !== '0.0.0.0' && listen.host !== '::' ? [ws.config.listen as string] : []
  return [...new Set([...own, ...(ws.config.peers ?? [])])]
}
