import { createHash } from 'node:crypto'
import { GasError } from '../errors.js'

/** 64 lower-case hex digits: SHA-256 over `"<type> <size>\0" + payload`, git's scheme with SHA-256. */
export type ObjectId = string

/** why: codes are the index (packs, BLOCK frames), so new types are only ever appended; `team` holds signed team records (src/auth), `lock` lock leases */
export const OBJECT_TYPES = ['chunk', 'file', 'asset', 'tree', 'version', 'tag', 'build', 'preview', 'team', 'lock'] as const
export type ObjectType = typeof OBJECT_TYPES[number]

const ID_PATTERN = /^[0-9a-f]{64}$/

export function objectHeader (type: ObjectType, size: number): Buffer {
  return Buffer.from(`${type} ${size}\0`, 'latin1')
}

export function hashObject (type: ObjectType, body: Uint8Array): ObjectId {
  return createHash('sha256').update(objectHeader(type, body.length)).update(body).digest('hex')
}

export function isObjectId (value: unknown): value is ObjectId {
  return typeof value === 'string' && ID_PATTERN.test(value)
}

export function assertObjectId (value: unknown, what = 'object id'): ObjectId {
  if (!isObjectId(value)) throw GasError.badArgument(`${what} must be 64 lower-case hex digits, got ${JSON.stringify(value)}`)
  return value
}

export function isObjectType (value: unknown): value is ObjectType {
  return typeof value === 'string' && (OBJECT_TYPES as readonly string[]).includes(value)
}

export function objectTypeCode (type: ObjectType): number {
  return OBJECT_TYPES.indexOf(type)
}

export function objectTypeFromCode (code: number): ObjectType {
  const type = OBJECT_TYPES[code]
  if (type === undefined) throw new GasError('E_CORRUPT_OBJECT', `unknown object type code ${code}`)
  return type
}
