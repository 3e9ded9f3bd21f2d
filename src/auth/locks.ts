import { GasError } from '../errors.js'
import { lockPathProblem, MAX_LOCK_REASON_BYTES, signedLockPart, type EndRecord, type LeaseRecord, type LockRecord } from '../objects/lock-record.js'
import { escapeLockPath } from '../refs/lock-ref.js'
import type { LockEntry } from '../refs/lock-table.js'
import { signBytes } from '../repo/identity.js'
import { describeLock, formatWallClock } from '../repo/lock-format.js'
import { activeLocks, lockTableOf, storeLockRecord } from '../repo/lock-store.js'
import { DEFAULT_LOCK_TTL_MS, MAX_LOCK_TTL_MS } from '../repo/lock-ttl.js'
import type { Workspace } from '../repo/workspace.js'
import { LOCK_BREAKING_ROLES } from './lock-verify.js'
import { readOwnCertificate } from './member-certificate.js'

/**
 * `gas lock` / `gas unlock`: signed records written to refs/locks/ (see src/objects/lock-record.ts);
 * `gas sync` and `gas serve` carry them to the other peers.
 */
export interface LockOptions {
  ws: Workspace
  /** workspace-relative, '/'-separated */
  path: string
  /** default DEFAULT_LOCK_TTL_MS (8 h) */
  ttlMs?: number
  reason?: string
  /** epoch ms; default the workspace's clock */
  now?: number
}

export interface LockResult { lock: LockEntry, renewed: boolean }

export async function lock (opts: LockOptions): Promise<LockResult> {
  const { ws } = opts
  const path = checkPath(opts.path)
  const ttlMs = opts.ttlMs ?? DEFAULT_LOCK_TTL_MS
  if (!Number.isSafeInteger(ttlMs) || ttlMs < 1000 || ttlMs > MAX_LOCK_TTL_MS) throw new GasError('E_BAD_TTL', `a lock lasts 1s..30d, got ${ttlMs} ms`, { ttlMs })
  const now = opts.now ?? ws.clock.now()
  const current = (await activeLocks(ws, { now })).find((l) => l.path === path)
  if (current !== undefined && current.holder.publicKey !== ws.identity.publicKey) throw lockedByOther(ws, current)
  // a renewal keeps the reason unless a new one is given
  const reason = opts.reason ?? current?.reason ?? ''
  if (Buffer.byteLength(reason) > MAX_LOCK_REASON_BYTES) throw GasError.badArgument(`a lock reason is at most ${MAX_LOCK_REASON_BYTES} bytes`)
  // why: a renewal must replay after the lease it renews, also within the same millisecond
  const at = current === undefined ? now : Math.max(now, current.at + 1)
  const record: LeaseRecord = { kind: 'lease', ...await base(ws, path, at), expires: now + ttlMs, reason }
  const id = await storeLockRecord(ws.refs, ws.store, sign(ws, record), { who: ws.identity.name, now, message: current === undefined ? 'lock' : 'lock renewed' })
  const table = await lockTableOf(ws.refs, ws.store, now)
  const entry = table.leases.get(id)?.entry
  if (entry === undefined) throw new GasError('E_INTERNAL', `the lease of ${path} was stored but not found`)
  return { lock: entry, renewed: current !== undefined }
}

export interface UnlockOptions { ws: Workspace, path: string, /** end another member's lock (lead/admin) */ break?: boolean, now?: number }
export interface UnlockResult { path: string, holder: string, broken: boolean, record: string }

export async function unlock (opts: UnlockOptions): Promise<UnlockResult> {
  const { ws } = opts
  const path = checkPath(opts.path)
  const now = opts.now ?? ws.clock.now()
  const current = (await activeLocks(ws, { now })).find((l) => l.path === path)
  if (current === undefined) throw new GasError('E_NOT_LOCKED', `${path} is not locked (an expired lock ends by itself); \`gas locks\` lists the locks`, { path })
  const own = current.holder.publicKey === ws.identity.publicKey
  if (!own && opts.break !== true) {
    throw new GasError('E_LOCKED_BY_OTHER', `${path} is locked by ${describeLock(current, ws.config.timeZone)}, not by you; ask them, or a lead can \`gas unlock --break ${path}\``, lockData(current))
  }
  if (!own) {
    const cert = await readOwnCertificate(ws)
    const roles = cert?.member.roles ?? []
    if (!roles.some((role) => LOCK_BREAKING_ROLES.includes(role))) {
      throw new GasError('E_DENIED', `only a lead or admin can break ${current.holder.name}'s lock on ${path} (your roles: ${roles.join(', ') || 'none'})`, lockData(current))
    }
  }
  // why: the ending must replay after the lease it ends, also when the signer's clock is behind the holder's
  const record: EndRecord = { kind: own ? 'release' : 'break', ...await base(ws, path, Math.max(now, current.at + 1)), lease: current.lease, holder: current.holder.name }
  const id = await storeLockRecord(ws.refs, ws.store, sign(ws, record), { who: ws.identity.name, now, message: own ? 'unlock' : `broke ${current.holder.name}'s lock` })
  return { path, holder: current.holder.name, broken: !own, record: id }
}

export function lockedByOther (ws: Workspace, lock: LockEntry): GasError {
  return new GasError('E_LOCKED_BY_OTHER', `${lock.path} is locked by ${describeLock(lock, ws.config.timeZone)}; wait for them to \`gas unlock\` it or for the lock to expire`, lockData(lock))
}

function lockData (lock: LockEntry): Record<string, unknown> {
  return { path: lock.path, holder: lock.holder.name, expires: new Date(lock.expires).toISOString(), reason: lock.reason }
}

function checkPath (path: string): string {
  if (typeof path !== 'string') throw GasError.badArgument('a lock needs a path')
  const problem = lockPathProblem(path)
  if (problem !== null) throw GasError.badArgument(`cannot lock "${path}": a lock path ${problem}`, { path })
  escapeLockPath(path)
  return path
}

async function base (ws: Workspace, path: string, now: number): Promise<Omit<LockRecord, 'kind' | 'expires' | 'reason' | 'lease' | 'holder'>> {
  return { path, member: ws.author, certificate: await readOwnCertificate(ws), at: Math.floor(now), timeZone: ws.config.timeZone, signature: null }
}

function sign<T extends LockRecord> (ws: Workspace, record: T): T {
  return { ...record, signature: signBytes(ws.identity, signedLockPart(record)) }
}

export { formatWallClock }
