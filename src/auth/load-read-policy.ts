import type { Workspace } from '../repo/workspace.js'
import { POLICY_REF } from './team-directory.js'
import { readPolicyReadRules } from './team-policy.js'
import { parseReadRules, type ReadPolicy } from './read-rights.js'

/** why: a rule list that no reader lets through, for a signed policy whose read section does not parse */
const NOTHING_READABLE = parseReadRules([{ deny: ['**'] }])

const cache = new WeakMap<Workspace, { ref: string | undefined, policy: ReadPolicy | undefined }>()

/**
 * The read rules this workspace enforces when it serves: the `read` section of the signed team
 * policy (refs/team/policy, src/auth/team-policy.ts), parsed by `parseReadRules`; undefined (every
 * member reads everything) while the team has no policy. Called about once a second while serving
 * (ReadGate), so a new policy version applies without a restart; parsed again only when the
 * policy ref moved. A policy from a peer whose read section does not parse (`gas team policy set`
 * refuses such a file) lets nothing be read: closed, not open, when in doubt.
 */
export async function loadReadPolicy (ws: Workspace): Promise<ReadPolicy | undefined> {
  if (ws.config.team === null) return undefined
  const ref = await ws.refs.read(POLICY_REF)
  const held = cache.get(ws)
  if (held !== undefined && held.ref === ref) return held.policy
  let policy: ReadPolicy | undefined
  if (ref !== undefined) {
    const section = await readPolicyReadRules(ws)
    try {
      policy = section.length === 0 ? undefined : parseReadRules(section)
    } catch {
      policy = NOTHING_READABLE
    }
  }
  cache.set(ws, { ref, policy })
  return policy
}
