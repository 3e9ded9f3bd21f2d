import { GasError, isGasError } from '../../errors.js'
import type { Clock } from '../../clock.js'
import type { LockRecord } from '../../objects/lock-record.js'
import type { ObjectStore } from '../../objects/store.js'
import { parseLockRef } from '../../refs/lock-ref.js'
import type { RefStore } from '../../refs/ref-store.js'
import { PRUNE_GRACE_MS, readLockRecord, storeLockRecord } from '../../repo/lock-store.js'
import type { RemoteRef } from './ref-exchange.js'
import type { PeerSession } from '../session/session.js'
import { Swarm } from '../swarm/swarm.js'

/**
 * Lock records travel as refs (refs/locks/<path>/<record id>) in REFS, in both directions: a sync
 * fetches the serving peer's, and a serving peer fetches those of the member syncing with it, so a
 * lock taken by a member who only ever syncs still reaches everyone through the peers that serve.
 * Every record is checked (`verify`, src/auth/lock-verify.ts) before it is named by a ref; one that
 * fails is reported, never stored under refs/locks/, and never ends the session.
 */
export interface LockExchange {
  /** throws (or rejects with) a GasError (E_BAD_SIGNATURE, E_AUTH, E_DENIED, E_REVOKED) for a record that must not be adopted */
  verify: (record: LockRecord) => void | Promise<void>
  /** epoch ms */
  now: () => number
  who: string
  /** a record that was refused, for the peer's log */
  onRejected?: (rejection: RejectedLock) => void
}

export interface RejectedLock { peer: string, ref: string, code: string, message: string }
export interface LockExchangeReport { adopted: number, rejected: RejectedLock[] }

/** why: a serving peer waits this long for the syncing member's refs before saying it is done; they come right after HELLO */
export const LOCK_REFS_WAIT_MS = 5_000
/** why: a REFS with more lock records than this is a peer trying to make us fetch; a team locks dozens of files, not thousands */
export const MAX_LOCK_RECORDS_PER_PEER = 5_000

/** The lock refs of an advertisement that this store does not name yet. */
export async function newLockRefs (refs: RefStore, remoteRefs: RemoteRef[]): Promise<RemoteRef[]> {
  const out: RemoteRef[] = []
  for (const ref of remoteRefs) {
    const parsed = parseLockRef(ref.name)
    if (parsed === undefined || parsed.recordId !== ref.id) continue
    if ((await refs.read(ref.name).catch(() => undefined)) === ref.id) continue
    out.push(ref)
    if (out.length >= MAX_LOCK_RECORDS_PER_PEER) break
  }
  return out
}

/** Names the fetched records that pass `verify` under refs/locks/; the others are reported. */
export async function adoptLockRecords (refs: RefStore, store: ObjectStore, incoming: Array<{ peer: string, ref: RemoteRef }>, exchange: LockExchange): Promise<LockExchangeReport> {
  const report: LockExchangeReport = { adopted: 0, rejected: [] }
  const now = exchange.now()
  for (const { peer, ref } of incoming) {
    const parsed = parseLockRef(ref.name)
    if (parsed === undefined) continue
    try {
      const record = await readLockRecord(store, ref.id)
      // not fetched (the peer left): the next sync asks again
      if (record === undefined) continue
      if (record.path !== parsed.path) throw new GasError('E_CORRUPT_OBJECT', `${ref.name} names a record of another path (${record.path})`)
      // long expired: forgotten everywhere (pruneExpiredLocks), so adopting it would change nothing
      const until = record.kind === 'lease' ? record.expires : record.at
      if (until + PRUNE_GRACE_MS < now) continue
      await exchange.verify(record)
      await storeLockRecord(refs, store, record, { who: exchange.who, now, message: `lock record from ${peer}` })
      report.adopted++
    } catch (err) {
      if (!isGasError(err)) throw err
      const rejection = { peer, ref: ref.name, code: err.code, message: err.message }
      report.rejected.push(rejection)
      exchange.onRejected?.(rejection)
    }
  }
  return report
}

/**
 * The serving side: waits for the syncing member's advertisement, fetches the lock records it
 * lacks from that member and adopts them. Never throws: a failure leaves the locks for next time.
 */
export async function takeLocksFrom (session: PeerSession, refs: RefStore, store: ObjectStore, exchange: LockExchange, clock?: Clock): Promise<LockExchangeReport> {
  try {
    const advertised = await session.waitRefs(LOCK_REFS_WAIT_MS)
    const wanted = await newLockRefs(refs, advertised)
    if (wanted.length === 0) return { adopted: 0, rejected: [] }
    const swarm = new Swarm({ store, clock })
    swarm.addPeer(session)
    try {
      await swarm.fetch(wanted.map((ref) => ({ id: ref.id, priority: 255 })))
    } finally {
      // the session goes on: the serve takes the member's versions on it next, with a swarm of its own
      swarm.detach()
    }
    return await adoptLockRecords(refs, store, wanted.map((ref) => ({ peer: session.name, ref })), exchange)
  } catch {
    return { adopted: 0, rejected: [] }
  }
}
