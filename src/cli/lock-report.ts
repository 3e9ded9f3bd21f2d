import type { PeerSyncResult } from '../peer/sync/peer-node.js'
import { formatWallClock } from '../repo/lock-format.js'

/** `gas sync`'s `locks` field: ISO times, and null when locks were not exchanged. */
export function syncLocksJson (result: PeerSyncResult): unknown {
  const locks = result.locks
  if (locks === undefined) return null
  return {
    adopted: locks.adopted,
    rejected: locks.rejected,
    lost: locks.lost.map((l) => ({ path: l.path, holder: l.holder, expires: new Date(l.expires).toISOString(), reason: l.reason })),
    broken: locks.broken.map((b) => ({ path: b.path, by: b.by, at: new Date(b.at).toISOString() }))
  }
}

/** The lines a member must not miss: a lock of theirs lost or broken, a record refused. */
export function syncLocksLines (result: PeerSyncResult, timeZone: string): string[] {
  const locks = result.locks
  if (locks === undefined) return []
  return [
    ...locks.lost.map((l) => `  LOCK LOST ${l.path}: ${l.holder} locked it first (until ${formatWallClock(l.expires, timeZone)}${l.reason === '' ? '' : `, ${l.reason}`}); your lock does not hold`),
    ...locks.broken.map((b) => `  LOCK BROKEN ${b.path}: ${b.by} broke your lock at ${formatWallClock(b.at, timeZone)}`),
    ...locks.rejected.map((r) => `  refused lock record ${r.ref} from ${r.peer}: ${r.code}: ${r.message}`),
    ...(locks.adopted > 0 ? [`  ${locks.adopted} lock record(s) received`] : [])
  ]
}

/** A locked file a sync (or a serve's take) changed, by someone other than its holder: the holder, or whoever serves the team, must not learn it by surprise later. */
export function lockedChangeLines (result: Pick<PeerSyncResult, 'lockedChanges'>): string[] {
  return result.lockedChanges.map((c) => `  LOCKED ${c.path}: changed by ${c.by.join(', ')} while ${c.holderIsUs ? 'you hold' : `${c.holder} holds`} its lock (\`gas log ${c.path}\` shows both; \`gas restore ${c.path} --version REV\` takes one back)`)
}
