import { GasError } from '../errors.js'
import { decodeCanonical, encodeCanonical, Fields } from './canonical-json.js'
import { isObjectId, type ObjectId } from './id.js'

export interface Author { name: string, publicKey: string }

/** Author time as git keeps it: UTC seconds plus the author's offset, so "22:00 in Tokyo" survives. */
export interface AuthorTime { seconds: number, offsetMinutes: number, timeZone: string }

/** `version` object: like a git commit. `signature` is Ed25519 over the encoding without it. */
export interface Version {
  tree: ObjectId
  parents: ObjectId[]
  author: Author
  time: AuthorTime
  message: string
  tags: Record<string, string>
  signature: string | null
}

export function encodeVersion (version: Version): Uint8Array {
  return encodeCanonical(version)
}

export function signedPart (version: Version): Uint8Array {
  return encodeCanonical({ ...version, signature: null })
}

export function decodeAuthor (f: Fields): Author {
  const name = f.string('name')
  const publicKey = f.string('publicKey')
  if (!/^[0-9a-f]{64}$/.test(publicKey)) f.fail('publicKey', '64 hex digits')
  return { name, publicKey }
}

export function decodeAuthorTime (f: Fields): AuthorTime {
  const offsetMinutes = f.integer('offsetMinutes')
  if (Math.abs(offsetMinutes) > 18 * 60) f.fail('offsetMinutes', 'within ±18 hours')
  return { seconds: f.integer('seconds'), offsetMinutes, timeZone: f.string('timeZone') }
}

export function decodeVersion (body: Uint8Array): Version {
  const f = Fields.of(decodeCanonical(body, 'version'), 'version')
  const tree = f.string('tree')
  if (!isObjectId(tree)) f.fail('tree', 'an object id')
  const parents = f.stringArray('parents')
  if (!parents.every(isObjectId)) f.fail('parents', 'object ids')
  const signature = f.optionalString('signature')
  if (signature !== null && !/^[0-9a-f]{128}$/.test(signature)) f.fail('signature', '128 hex digits or null')
  return {
    tree,
    parents,
    author: decodeAuthor(f.object('author')),
    time: decodeAuthorTime(f.object('time')),
    message: f.string('message'),
    tags: f.stringMap('tags'),
    signature
  }
}

/** "+09:00" style offset, as shown in logs. */
export function formatOffset (offsetMinutes: number): string {
  const sign = offsetMinutes < 0 ? '-' : '+'
  const abs = Math.abs(offsetMinutes)
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`
}

/** ISO-8601 in the author's own offset, e.g. 2026-11-25T22:00:00+09:00. */
export function formatAuthorTime (time: AuthorTime): string {
  const local = new Date((time.seconds + time.offsetMinutes * 60) * 1000).toISOString().slice(0, 19)
  return `${local}${formatOffset(time.offsetMinutes)}`
}

export function checkMessage (message: string): void {
  if (message.trim() === '') throw GasError.badArgument('a version needs a non-empty message (-m)')
}
