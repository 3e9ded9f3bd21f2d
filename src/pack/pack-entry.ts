import { GasError } from '../errors.js'
import { objectTypeCode, objectTypeFromCode, type ObjectId, type ObjectType } from '../objects/id.js'
import type { Encoding } from '../objects/store.js'

/**
 * One object in a pack: type u8 | encoding u8 | raw length u32 | stored length u32 | id [32] | stored bytes.
 * The id is repeated in the pack so a pack can be checked (and its index rebuilt) on its own.
 */
export const PACK_MAGIC = Buffer.from('GASP\0\0\0\x01', 'latin1')
export const ENTRY_HEADER = 42
/** Largest object a pack entry may claim: guards against a corrupt length allocating gigabytes. */
export const MAX_ENTRY = 64 * 1024 * 1024

export interface EntryHeader { type: ObjectType, encoding: Encoding, rawLength: number, storedLength: number, id: ObjectId }

export function encodeEntryHeader (h: EntryHeader): Buffer {
  const out = Buffer.alloc(ENTRY_HEADER)
  writeEntryHeader(out, 0, h)
  return out
}

/** The header written straight into `into` at `at` (why: a pack writer appending ~16 000 entries per GiB allocates no buffer per entry). */
export function writeEntryHeader (into: Buffer, at: number, h: EntryHeader): void {
  into.writeUInt8(objectTypeCode(h.type), at)
  into.writeUInt8(h.encoding, at + 1)
  into.writeUInt32BE(h.rawLength, at + 2)
  into.writeUInt32BE(h.storedLength, at + 6)
  // zeros first, as in a fresh buffer: a reused one must not keep an earlier id's bytes where this id is short
  into.fill(0, at + 10, at + ENTRY_HEADER)
  into.write(h.id, at + 10, 32, 'hex')
}

export function decodeEntryHeader (buf: Buffer, where: string): EntryHeader {
  const corrupt = (why: string): never => { throw new GasError('E_CORRUPT_PACK', `${where}: ${why}; run \`gas fsck\``, { where }) }
  if (buf.length < ENTRY_HEADER) corrupt('entry header truncated')
  let type: ObjectType
  try {
    type = objectTypeFromCode(buf.readUInt8(0))
  } catch {
    return corrupt('unknown object type')
  }
  const encoding = buf.readUInt8(1)
  if (encoding !== 0 && encoding !== 1) corrupt('unknown encoding')
  const rawLength = buf.readUInt32BE(2)
  const storedLength = buf.readUInt32BE(6)
  if (rawLength > MAX_ENTRY || storedLength > MAX_ENTRY) corrupt('entry length out of range')
  if (encoding === 0 && rawLength !== storedLength) corrupt('raw entry with mismatched lengths')
  return { type, encoding: encoding as Encoding, rawLength, storedLength, id: buf.toString('hex', 10, 42) }
}
