import { readFile } from 'node:fs/promises'
import type { Command } from 'commander'
import { setTeamPolicy, showTeamPolicy } from '../../auth/team-policy.js'
import { changeRoles, revokeMember, teamMembers } from '../../auth/team-members.js'
import { fromFsError } from '../../errors.js'
import { action } from '../action.js'
import { withWorkspace } from '../context.js'
import { printResult } from '../output.js'

/** `gas team revoke|roles|list|policy`: membership changes and the access policy (src/auth). */
export function registerTeamAccess (team: Command): void {
  team.command('revoke').description('revoke a member (lead/admin only): every peer that learns of it refuses their key').argument('<name>', 'member name or public key prefix')
    .option('--json', 'print JSON')
    .action(action(async (p, name: string) => {
      const record = await withWorkspace(async (ws) => await revokeMember(ws, name))
      printResult(p, { revoked: { name: record.name, publicKey: record.publicKey }, time: record.time, by: record.by.member.name },
        () => `revoked ${record.name} (${record.publicKey.slice(0, 16)}…); peers refuse the key once they sync with this one`)
    }))
  team.command('roles').description('give a member new roles (lead/admin only): the new certificate supersedes the old one on every peer')
    .argument('<name>', 'member name or public key prefix').argument('<roles...>', 'roles, e.g. artist build (or artist,build)')
    .option('--json', 'print JSON')
    .action(action(async (p, name: string, roles: string[]) => {
      const cert = await withWorkspace(async (ws) => await changeRoles(ws, name, roles.flatMap((r) => r.split(',')).filter((r) => r !== '')))
      printResult(p, { member: cert.member }, () => `${cert.member.name} now holds ${cert.member.roles.join(', ')}`)
    }))
  team.command('list').description('members this workspace knows (added here or met through syncs), their roles, and revocations')
    .option('--json', 'print JSON')
    .action(action(async (p) => {
      const members = await withWorkspace(async (ws) => await teamMembers(ws))
      printResult(p, { members }, () => members.map((m) => `${m.name}\t${m.publicKey.slice(0, 16)}…\t${m.roles.join(',')}${m.revoked ? '\tREVOKED' : ''}`).join('\n'))
    }))
  const policy = team.command('policy').description('the team access policy: {"version": N, "read": [...], "write": [...]}, signed by a lead/admin')
  policy.command('set').description('sign FILE as the team\'s new policy (lead/admin only); peers adopt the highest version').argument('<file>')
    .option('--json', 'print JSON')
    .action(action(async (p, file: string) => {
      const text = await readFile(file, 'utf8').catch((err) => { throw fromFsError(err, file) })
      const record = await withWorkspace(async (ws) => await setTeamPolicy(ws, text))
      printResult(p, { version: record.policy.version, read: record.policy.read.length, write: record.policy.write.length }, () => `team policy version ${record.policy.version} signed; peers adopt it with their next sync`)
    }))
  policy.command('show').description('the policy in force here (version 0: none set, the default write rights apply)')
    .option('--json', 'print JSON')
    .action(action(async (p) => {
      const shown = await withWorkspace(async (ws) => await showTeamPolicy(ws))
      printResult(p, shown, () => JSON.stringify(shown, null, 2))
    }))
}
