import { join } from 'node:path'
import { writeFileAtomic } from '../objects/atomic-write.js'
import { isObjectId, type ObjectId } from '../objects/id.js'
import type { Workspace } from './workspace.js'

/**
 * Peers' heads of this branch that the last sync with them saw but did not apply (its content did
 * not all arrive: a peer left mid-sync, a refusal), by peer name as in refs/remotes/<peer>/.
 * why: a peer's remote view moves only when a sync applies its refs (a serve relies on that to know
 * what it took), so after an incomplete sync `gas status` said `peer ana: up to date` of a peer it
 * had just seen ahead; status now says that head is not all here yet.
 */
const FILE = 'pending-heads.json'

export async function readPendingHeads (ws: Workspace): Promise<Record<string, ObjectId>> {
  try {
    const value = JSON.parse(await ws.fs.readFile(join(ws.gasDir, FILE), 'utf8')) as unknown
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return {}
    return Object.fromEntries(Object.entries(value).filter((e): e is [string, ObjectId] => isObjectId(e[1])))
  } catch {
    return {} // none recorded, or a damaged file: status shows the remote views alone
  }
}

/**
 * After a sync: `seen` (peer → the head it advertised) against what is applied now; a sync that
 * completed leaves none of its peers pending (a head refused over write rights is not "on its way").
 * Other peers' entries stay. Nothing is written when nothing was or is pending.
 */
export async function recordPendingHeads (ws: Workspace, seen: Map<string, ObjectId>, complete: boolean): Promise<void> {
  const pending = await readPendingHeads(ws)
  const before = JSON.stringify(pending)
  for (const [peer, head] of seen) {
    const applied = await ws.refs.read(`refs/remotes/${peer}/heads/${ws.config.branch}`)
    if (complete || applied === head) delete pending[peer]
    else pending[peer] = head
  }
  const after = JSON.stringify(pending)
  if (after !== before) await writeFileAtomic(ws.fs, join(ws.gasDir, FILE), `${after}\n`)
}
