import { decodeCanonical, encodeCanonical, Fields } from './canonical-json.js'
import { isObjectId, type ObjectId } from './id.js'
import { decodeAuthor, type Author } from './version.js'

/**
 * `lock` object: one signed event of a path's lock, kept under refs/locks/<path>/<id>.
 *   lease   — `member` holds `path` from `at` until `expires` (epoch ms), for `reason`;
 *   release — the holder of `lease` ends it early (`gas unlock`);
 *   break   — a lead/admin ends someone else's `lease` (`gas unlock --break`), naming `holder`.
 * Peers keep every record of a path and replay them in time order (src/refs/lock-table.ts), so
 * all of them reach the same table whatever order the records arrived in.
 */
export type LockRecordKind = 'lease' | 'release' | 'break'

export interface LockRecordBase {
  path: string
  member: Author
  /** the member's team certificate (src/auth checks it), null outside a team */
  certificate: unknown
  /** epoch milliseconds (UTC) */
  at: number
  /** the member's IANA zone, for showing times as they saw them */
  timeZone: string
  /** Ed25519 by `member.publicKey` over the record with `signature: null`, 128 hex */
  signature: string | null
}
export interface LeaseRecord extends LockRecordBase { kind: 'lease', expires: number, reason: string }
export interface EndRecord extends LockRecordBase { kind: 'release' | 'break', lease: ObjectId, holder: string }
export type LockRecord = LeaseRecord | EndRecord

/** why: a workspace path as a ref component must stay a file name (255 bytes) after escaping; see lock-ref.ts */
export const MAX_LOCK_PATH_BYTES = 200
/** why: a reason is a short note to the team, not a document a peer must hold */
export const MAX_LOCK_REASON_BYTES = 1000

export function encodeLockRecord (record: LockRecord): Uint8Array {
  return encodeCanonical(record)
}

export function signedLockPart (record: LockRecord): Uint8Array {
  return encodeCanonical({ ...record, signature: null })
}

/** A problem with a lock path, or null when it is a clean workspace-relative '/'-path. */
export function lockPathProblem (path: string): string | null {
  if (path === '' || Buffer.byteLength(path) > MAX_LOCK_PATH_BYTES) return `must be 1..${MAX_LOCK_PATH_BYTES} bytes`
  if (path.includes('\0') || path.includes('\\')) return 'must not hold NUL or backslashes'
  if (path.split('/').some((part) => part === '' || part === '.' || part === '..')) return 'must be a workspace-relative path without empty, "." or ".." parts'
  return null
}

export function decodeLockRecord (body: Uint8Array): LockRecord {
  const f = Fields.of(decodeCanonical(body, 'lock'), 'lock')
  const kind = f.string('kind')
  const path = f.string('path')
  if (lockPathProblem(path) !== null) f.fail('path', `a workspace path (${lockPathProblem(path) ?? ''})`)
  const at = f.integer('at')
  if (at < 0) f.fail('at', 'a time after 1970')
  const signature = f.optionalString('signature')
  if (signature !== null && !/^[0-9a-f]{128}$/.test(signature)) f.fail('signature', '128 hex digits or null')
  const base = {
    path,
    member: decodeAuthor(f.object('member')),
    certificate: f.value.certificate ?? null,
    at,
    timeZone: f.string('timeZone'),
    signature
  }
  if (kind === 'lease') {
    const expires = f.integer('expires')
    if (expires <= at) f.fail('expires', 'after `at`')
    const reason = f.string('reason')
    if (Buffer.byteLength(reason) > MAX_LOCK_REASON_BYTES) f.fail('reason', `at most ${MAX_LOCK_REASON_BYTES} bytes`)
    return { kind, ...base, expires, reason }
  }
  if (kind === 'release' || kind === 'break') {
    const lease = f.string('lease')
    if (!isObjectId(lease)) f.fail('lease', 'an object id')
    return { kind, ...base, lease, holder: f.string('holder') }
  }
  return f.fail('kind', '"lease", "release" or "break"')
}
