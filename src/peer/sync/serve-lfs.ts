import { lfsManifestState } from '../../repo/lfs-manifest.js'
import type { Workspace } from '../../repo/workspace.js'
import { ON_DEMAND_REF_PREFIXES, type RemoteRef } from './ref-exchange.js'

/**
 * The Git LFS objects a serve takes from a member, as it takes the member's versions.
 *
 * why: a member's `git push` (git-remote-gas) leaves the pushed repository under refs/git/<repo>
 * and the LFS content under refs/lfs/<oid> in the member's store. The serve took the repository
 * but not the LFS content (a plain sync leaves LFS objects on demand), so the member's sync said
 * `ana took it`, the member left, and a teammate's `git pull` then failed in git-lfs's smudge
 * filter: no reachable peer held the content the new commit points at. A serve is the team's
 * always-on store, as an LFS server is: it keeps every LFS object a member brings.
 * Only a manifest whose SHA-256 is the oid it is advertised under is recorded (a member may
 * advertise any id under any name); its chunks must all be here.
 */

const LFS_PREFIX = ON_DEMAND_REF_PREFIXES[0]
const OID = /^[0-9a-f]{64}$/

/**
 * The member's refs/lfs/<oid> whose content this workspace does not hold (the roots the serve's
 * sync fetches with everything below). A manifest held whole is not asked again, whether or not it
 * is of that oid (a forged ref would otherwise start a take at every sync of the member's); one of
 * that oid whose ref is not here yet is recorded at once.
 */
export async function lfsLacked (ws: Workspace, theirs: RemoteRef[]): Promise<RemoteRef[]> {
  const lacked: RemoteRef[] = []
  // why: recorded here only once whole, so a ref at the same value needs no look (every member's sync asks this, of every LFS object it holds)
  const ours = new Map((await ws.refs.list(LFS_PREFIX)).map((ref) => [ref.name, ref.id]))
  for (const ref of theirs) {
    if (!ref.name.startsWith(LFS_PREFIX) || !OID.test(ref.name.slice(LFS_PREFIX.length)) || ours.get(ref.name) === ref.id) continue
    const { state } = await lfsManifestState(ws.store, ref.id, ref.name.slice(LFS_PREFIX.length))
    // content held already (the same bytes stored as an asset): named now, so that this serve advertises it
    if (state === 'whole' && !ours.has(ref.name)) await recordTakenLfs(ws, [ref], 'lfs: held here already')
    if (state === 'partial') lacked.push(ref)
  }
  return lacked
}

/** After the fetch: records refs/lfs/<oid> for each object now whole here (so this serve advertises it); returns how many. */
export async function recordTakenLfs (ws: Workspace, taken: RemoteRef[], message: string): Promise<number> {
  let recorded = 0
  for (const ref of taken) {
    if ((await lfsManifestState(ws.store, ref.id, ref.name.slice(LFS_PREFIX.length))).state !== 'whole') continue
    if ((await ws.refs.read(ref.name)) !== ref.id) {
      await ws.refs.update({ name: ref.name, newId: ref.id, message, who: ws.identity.name, now: ws.clock.now() })
    }
    recorded++
  }
  return recorded
}
