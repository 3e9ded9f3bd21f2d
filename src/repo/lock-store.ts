import { isGasError } from '../errors.js'
import type { ObjectId } from '../objects/id.js'
import { decodeLockRecord, encodeLockRecord, type LockRecord } from '../objects/lock-record.js'
import type { ObjectStore } from '../objects/store.js'
import { LOCK_REF_PREFIX, lockRefName, parseLockRef } from '../refs/lock-ref.js'
import { computeLockTable, type LockEntry, type LockTable, type StoredLockRecord } from '../refs/lock-table.js'
import type { RefStore } from '../refs/ref-store.js'
import { revokedKeys } from '../refs/team-ref.js'
import type { Workspace } from './workspace.js'

/**
 * The workspace's lock records (refs/locks/<path>/<id> → `lock` objects) and the table they make.
 * Records arrive verified (src/auth/lock-verify.ts) or are our own; nothing here trusts a peer.
 */

/** Every lock record this store holds; a ref whose object is absent or unreadable is skipped (the next sync brings it). */
export async function readLockRecords (refs: RefStore, store: ObjectStore): Promise<StoredLockRecord[]> {
  const out: StoredLockRecord[] = []
  for (const ref of await refs.list(LOCK_REF_PREFIX)) {
    const parsed = parseLockRef(ref.name)
    if (parsed === undefined || parsed.recordId !== ref.id) continue
    const record = await readLockRecord(store, ref.id)
    if (record !== undefined && record.path === parsed.path) out.push({ id: ref.id, record })
  }
  return out
}

export async function readLockRecord (store: ObjectStore, id: ObjectId): Promise<LockRecord | undefined> {
  try {
    if (!(await store.has(id, 'lock'))) return undefined
    const object = await store.get(id)
    return object.type === 'lock' ? decodeLockRecord(object.body) : undefined
  } catch (err) {
    if (isGasError(err, 'E_CORRUPT_OBJECT') || isGasError(err, 'E_NOT_FOUND')) return undefined
    throw err
  }
}

/** Stores a record and names it under refs/locks/; storing one already held changes nothing. */
export async function storeLockRecord (refs: RefStore, store: ObjectStore, record: LockRecord, opts: { who: string, now: number, message: string }): Promise<ObjectId> {
  const id = await store.put('lock', encodeLockRecord(record))
  await store.flush()
  const name = lockRefName(record.path, id)
  if ((await refs.read(name)) !== id) await refs.update({ name, newId: id, message: opts.message, who: opts.who, now: opts.now })
  return id
}

/**
 * The table of the records held, without the leases of members this store knows are revoked (or
 * whose certificate came from a revoked admin): a revoked member holds no lock on any peer that
 * learnt of the revocation, and those peers all compute the same table.
 */
export async function lockTableOf (refs: RefStore, store: ObjectStore, now: number): Promise<LockTable> {
  const revoked = await revokedKeys(refs)
  const records = await readLockRecords(refs, store)
  return computeLockTable(revoked.size === 0 ? records : records.filter(({ record }) => record.kind !== 'lease' || !signedByRevoked(record, revoked)), now)
}

/** whether the record's signer, or the admin who certified them, is among `revoked` */
export function signedByRevoked (record: LockRecord, revoked: ReadonlySet<string>): boolean {
  if (revoked.has(record.member.publicKey)) return true
  const issuer = (record.certificate as { issuer?: { member?: { publicKey?: unknown } } } | null)?.issuer?.member?.publicKey
  return typeof issuer === 'string' && revoked.has(issuer)
}

/**
 * The unexpired locks of the workspace, one per path (the winner on every peer that holds the same
 * records), sorted by path. `gas status`, `gas commit` and the pre-push hook read this.
 */
export async function activeLocks (ws: Workspace, opts: { now?: number } = {}): Promise<LockEntry[]> {
  return (await lockTableOf(ws.refs, ws.store, opts.now ?? ws.clock.now())).active
}

/** The active lock on `path` held by a member other than us, if any. */
export async function lockHeldByOther (ws: Workspace, path: string, opts: { now?: number } = {}): Promise<LockEntry | undefined> {
  return (await activeLocks(ws, opts)).find((lock) => lock.path === path && lock.holder.publicKey !== ws.identity.publicKey)
}

/**
 * Drops the records of paths whose every lease expired more than `graceMs` ago: such a path is free
 * on every peer whatever else arrives later, so forgetting it changes no table.
 */
export async function pruneExpiredLocks (ws: Workspace, opts: { now?: number, graceMs?: number } = {}): Promise<number> {
  const now = opts.now ?? ws.clock.now()
  const grace = opts.graceMs ?? PRUNE_GRACE_MS
  const records = await readLockRecords(ws.refs, ws.store)
  const latestExpiry = new Map<string, number>()
  for (const { record } of records) {
    const until = record.kind === 'lease' ? record.expires : record.at
    latestExpiry.set(record.path, Math.max(latestExpiry.get(record.path) ?? 0, until))
  }
  let dropped = 0
  for (const { id, record } of records) {
    if ((latestExpiry.get(record.path) ?? Infinity) + grace > now) continue
    await ws.refs.update({ name: lockRefName(record.path, id), newId: null, message: 'lock expired', who: ws.identity.name, now })
    dropped++
  }
  return dropped
}

/** why: records a peer offline this long still re-advertises are kept to compare against; older ones are refused on receipt too */
export const PRUNE_GRACE_MS = 7 * 24 * 3600_000

export type { LockEntry, LockTable }
