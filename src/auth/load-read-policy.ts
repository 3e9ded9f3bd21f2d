import type { Workspace } from '../repo/workspace.js'
import type { ReadPolicy } from './read-rights.js'

/**
 * The read rules this workspace enforces when it serves: the `read` section of the signed team
 * policy (refs/team/policy, src/auth/team-policy.ts), parsed by `parseReadRules`.
 *
 * SEAM: the team policy container is built beside this; until it is wired here, no policy is
 * loaded and every member reads everything (as before read rights). Tests and embedders pass
 * rules directly: `peerSecurity(ws, { readPolicy })`. Called again about once a second while
 * serving (ReadGate), so a new policy version applies without a restart.
 */
export async function loadReadPolicy (ws: Workspace): Promise<ReadPolicy | undefined> {
  void ws
  return undefined
}
