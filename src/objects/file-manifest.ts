import { GasError } from '../errors.js'
import type { ObjectId } from './id.js'

/**
 * `file` object: one file's content as an ordered list of chunks.
 * Layout (big-endian): "GASF" | version u8 = 1 | size u64 | sha256 [32] | count u32 | count × (chunk id [32] | length u32)
 * Binary rather than JSON because a 10 GB file has ~160 000 chunks: 36 bytes each keeps the
 * metadata overhead near 0.06% of the content.
 *
 * One level, deliberately (decided 2026-11-30, issue 21): a 10 GB file's manifest is 5.8 MB,
 * built in place by ChunkListBuilder and decoded to ~25 MB of ChunkRefs, well inside the 300 MiB
 * a command may take; it crosses the wire in fragments like any large object. What a second
 * level (a manifest of chunk-list pages) would buy is smaller metadata per edit of a huge file:
 * ~150 KB (one page and the root) instead of 5.8 MB, about what Syncthing's block list costs
 * (~3.8 MB for 10 GB). It would change the id of every large file's manifest and teach every
 * reader (want-set, restore, serve, fsck, gc, builds, LFS) to follow pages, so it waits for a
 * floor that needs it.
 */
export interface ChunkRef { id: ObjectId, length: number }
export interface FileManifest {
  size: number
  /** plain SHA-256 of the whole content: the Git LFS oid */
  sha256: string
  chunks: ChunkRef[]
}

const MAGIC = Buffer.from('GASF')
const HEADER = 4 + 1 + 8 + 32 + 4
const ENTRY = 36

export function encodeFileManifest (manifest: FileManifest): Uint8Array {
  const out = Buffer.alloc(HEADER + manifest.chunks.length * ENTRY)
  MAGIC.copy(out, 0)
  out.writeUInt8(1, 4)
  out.writeBigUInt64BE(BigInt(manifest.size), 5)
  out.write(manifest.sha256, 13, 32, 'hex')
  out.writeUInt32BE(manifest.chunks.length, 45)
  let offset = HEADER
  for (const chunk of manifest.chunks) {
    out.write(chunk.id, offset, 32, 'hex')
    out.writeUInt32BE(chunk.length, offset + 32)
    offset += ENTRY
  }
  return out
}

/**
 * A file's chunk list as ingest cuts it, kept as the manifest's own 36-byte entries: a 10 GB
 * file's ~160 000 chunks take 5.8 MB here, where ChunkRef objects with hex ids took ~20 MB more
 * of heap for the whole add. `encode` gives the bytes encodeFileManifest gives for the same list.
 */
export class ChunkListBuilder {
  // why small at first: most assets are a few chunks, and a manifest is kept until its chunks are durable
  #bytes = Buffer.allocUnsafe(HEADER + 8 * ENTRY)
  #count = 0

  get count (): number {
    return this.#count
  }

  push (id: ObjectId, length: number): void {
    const at = HEADER + this.#count * ENTRY
    if (at + ENTRY > this.#bytes.length) {
      const grown = Buffer.allocUnsafe(this.#bytes.length * 2)
      this.#bytes.copy(grown, 0, 0, at)
      this.#bytes = grown
    }
    this.#bytes.write(id, at, 32, 'hex')
    this.#bytes.writeUInt32BE(length, at + 32)
    this.#count++
  }

  encode (size: number, sha256: string): Uint8Array {
    const out = this.#bytes
    MAGIC.copy(out, 0)
    out.writeUInt8(1, 4)
    out.writeBigUInt64BE(BigInt(size), 5)
    out.write(sha256, 13, 32, 'hex')
    out.writeUInt32BE(this.#count, 45)
    return out.subarray(0, HEADER + this.#count * ENTRY)
  }
}

export function decodeFileManifest (body: Uint8Array): FileManifest {
  const { size, sha256, count, chunks: lazy } = decodeFileManifestLazily(body)
  const chunks: ChunkRef[] = new Array(count)
  let i = 0
  for (const chunk of lazy) chunks[i++] = chunk
  return { size, sha256, chunks }
}

/** A file manifest whose chunk list is read from its bytes as it is iterated (decodeFileManifestLazily). */
export interface LazyFileManifest {
  size: number
  sha256: string
  count: number
  chunks: Iterable<ChunkRef>
  /** the chunk list as stored: count × (id [32] | length u32 BE), for a reader that takes it whole (native-restore.ts) */
  entries: Uint8Array
}

/**
 * Checks a manifest as decodeFileManifest does, without building its chunk list: each ChunkRef is
 * made when iterated and dropped after. why: a 10 GB file's ~160 000 ChunkRefs (a hex string and
 * an object each) are ~25 MiB of heap that a restore, which walks them once in order, never needs.
 */
export function decodeFileManifestLazily (body: Uint8Array): LazyFileManifest {
  const buf = Buffer.from(body.buffer, body.byteOffset, body.byteLength)
  const corrupt = (why: string): never => { throw new GasError('E_CORRUPT_OBJECT', `file manifest: ${why}`) }
  if (buf.length < HEADER) corrupt('shorter than its header')
  if (!buf.subarray(0, 4).equals(MAGIC)) corrupt('bad magic')
  if (buf.readUInt8(4) !== 1) corrupt(`unsupported version ${buf.readUInt8(4)}`)
  const size = buf.readBigUInt64BE(5)
  if (size > BigInt(Number.MAX_SAFE_INTEGER)) corrupt('size too large')
  const count = buf.readUInt32BE(45)
  if (buf.length !== HEADER + count * ENTRY) corrupt(`chunk count ${count} does not match ${buf.length} bytes`)
  let total = 0
  for (let offset = HEADER + 32; offset < buf.length; offset += ENTRY) {
    const length = buf.readUInt32BE(offset)
    if (length === 0) corrupt('empty chunk')
    total += length
  }
  if (total !== Number(size)) corrupt(`chunk lengths add up to ${total}, not ${size}`)
  const chunks = function * (): Generator<ChunkRef> {
    for (let offset = HEADER; offset < buf.length; offset += ENTRY) yield { id: buf.toString('hex', offset, offset + 32), length: buf.readUInt32BE(offset + 32) }
  }
  return { size: Number(size), sha256: buf.toString('hex', 13, 45), count, chunks: { [Symbol.iterator]: chunks }, entries: buf.subarray(HEADER) }
}
