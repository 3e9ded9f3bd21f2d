import type { ObjectId } from '../objects/id.js'
import type { LeaseRecord, LockRecord } from '../objects/lock-record.js'
import type { Author } from '../objects/version.js'

/**
 * The lock table as a pure function of a path's records and the time: every peer holding the same
 * records computes the same table, whatever order they arrived in (records only ever accumulate,
 * like a grow-only set, so peers converge by exchanging them).
 *
 * Records are replayed in the order (at, releases/breaks before leases, signature, id); `at` is the
 * signer's clock, and the signature bytes decide a tie the same way everywhere. A lease taken while
 * another member's lease is unexpired loses to it ("the earlier lease wins"); a lease by the holder
 * itself renews; a release or break of the holder's lease frees the path.
 */
export interface StoredLockRecord { id: ObjectId, record: LockRecord }

export interface LockEntry {
  path: string
  /** the lease record's id */
  lease: ObjectId
  holder: Author
  at: number
  expires: number
  reason: string
  timeZone: string
}

export type LeaseOutcome =
  | { state: 'held' }
  | { state: 'expired' }
  | { state: 'renewed', by: ObjectId }
  | { state: 'released', at: number }
  | { state: 'broken', by: Author, at: number }
  | { state: 'lost', to: LockEntry }

export interface LockTable {
  /** unexpired winners, sorted by path */
  active: LockEntry[]
  /** what became of every lease in the records */
  leases: Map<ObjectId, { entry: LockEntry, outcome: LeaseOutcome }>
}

function entryOf (id: ObjectId, lease: LeaseRecord): LockEntry {
  return { path: lease.path, lease: id, holder: lease.member, at: lease.at, expires: lease.expires, reason: lease.reason, timeZone: lease.timeZone }
}

function compareRecords (a: StoredLockRecord, b: StoredLockRecord): number {
  if (a.record.at !== b.record.at) return a.record.at - b.record.at
  const rank = (r: LockRecord): number => r.kind === 'lease' ? 1 : 0
  if (rank(a.record) !== rank(b.record)) return rank(a.record) - rank(b.record)
  const sa = a.record.signature ?? ''
  const sb = b.record.signature ?? ''
  if (sa !== sb) return sa < sb ? -1 : 1
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0
}

export function computeLockTable (records: StoredLockRecord[], now: number): LockTable {
  const byPath = new Map<string, StoredLockRecord[]>()
  for (const r of records) {
    const list = byPath.get(r.record.path) ?? []
    list.push(r)
    byPath.set(r.record.path, list)
  }
  const leases: LockTable['leases'] = new Map()
  const active: LockEntry[] = []
  for (const [, pathRecords] of byPath) {
    const holder = replayPath(pathRecords.sort(compareRecords), leases)
    if (holder !== undefined && holder.expires > now) active.push(holder)
  }
  for (const [, lease] of leases) {
    if (lease.outcome.state === 'held' && lease.entry.expires <= now) lease.outcome = { state: 'expired' }
  }
  active.sort((a, b) => a.path < b.path ? -1 : a.path > b.path ? 1 : 0)
  return { active, leases }
}

function replayPath (ordered: StoredLockRecord[], leases: LockTable['leases']): LockEntry | undefined {
  let holder: LockEntry | undefined
  const leaseKeys = new Map<ObjectId, string>()
  for (const { id, record } of ordered) {
    if (record.kind === 'lease') {
      const entry = entryOf(id, record)
      leaseKeys.set(id, record.member.publicKey)
      if (holder !== undefined && holder.expires > record.at && holder.holder.publicKey !== record.member.publicKey) {
        leases.set(id, { entry, outcome: { state: 'lost', to: holder } })
        continue
      }
      if (holder !== undefined) {
        const previous = leases.get(holder.lease)
        if (previous !== undefined) previous.outcome = holder.expires > record.at ? { state: 'renewed', by: id } : { state: 'expired' }
      }
      holder = entry
      leases.set(id, { entry, outcome: { state: 'held' } })
      continue
    }
    if (holder === undefined) continue
    // the ended lease, or a renewal of it by the same member (unlock names the lease it saw)
    const endsHolder = holder.lease === record.lease || (leaseKeys.get(record.lease) === holder.holder.publicKey && holder.at <= record.at)
    if (!endsHolder) continue
    if (record.kind === 'release' && record.member.publicKey !== holder.holder.publicKey) continue
    const current = leases.get(holder.lease)
    if (current !== undefined) current.outcome = record.kind === 'release' ? { state: 'released', at: record.at } : { state: 'broken', by: record.member, at: record.at }
    holder = undefined
  }
  return holder
}
