import type { Workspace } from '../repo/workspace.js'
import { readPolicyRecord } from './team-directory.js'
import { teamRecordsOf, writeRulesOf } from './team-policy.js'
import { mayWrite } from './write-rights.js'

/**
 * Whether the team's peers will accept `ref` written by this member (the write rules they check on
 * receipt, src/auth/write-rights.ts): a member outside a team writes anything. Lets a command
 * warn before it records what every peer will refuse.
 */
export async function peersAcceptOwnWrite (ws: Workspace, ref: string): Promise<boolean> {
  if (ws.config.team === null) return true
  return mayWrite(ws.config.roles, ref, writeRulesOf(await readPolicyRecord(teamRecordsOf(ws))))
}
