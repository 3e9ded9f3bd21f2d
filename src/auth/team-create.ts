import { createHash } from 'node:crypto'
import { join } from 'node:path'
import { GasError, fromFsError } from '../errors.js'
import { createIdentity } from '../repo/identity.js'
import type { Workspace } from '../repo/workspace.js'
import { issueLeadCertificate, TEAM_ROOT_FILE, type MemberCertificate } from './member-certificate.js'

/**
 * `gas team create NAME`: a team for a workspace made without `--team`, with this member as lead,
 * as `gas init --team` makes it (a new root key, kept in .gas/ owner-only). why: the only way
 * before was a new workspace, leaving the history behind; versions signed already stay valid.
 */
export async function createTeam (ws: Workspace, name: string): Promise<MemberCertificate> {
  if (ws.config.team !== null) throw new GasError('E_ALREADY_EXISTS', `this workspace is already in team ${ws.config.team.name}`, { team: ws.config.team.id })
  if (name.trim() === '') throw GasError.badArgument('a team needs a name')
  const rootKey = createIdentity(`${name} root`)
  const rootFile = join(ws.gasDir, TEAM_ROOT_FILE)
  await ws.fs.writeFile(rootFile, JSON.stringify(rootKey, null, 2), { mode: 0o600 }).catch((err) => { throw fromFsError(err, rootFile) })
  const id = createHash('sha256').update(`gas-team:${rootKey.publicKey}`).digest('hex').slice(0, 40)
  ws.config = { ...ws.config, team: { id, name, rootPublicKey: rootKey.publicKey }, roles: ['lead'] }
  await ws.saveConfig()
  return await issueLeadCertificate(ws)
}
