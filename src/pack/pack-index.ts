import { createHash } from 'node:crypto'
import { GasError } from '../errors.js'
import { buildFanout, findInFanout } from './fanout.js'
import { ENTRY_HEADER, PACK_MAGIC } from './pack-entry.js'

/**
 * The .idx of one pack (after gitformat-pack): "GASI" | version u32 | packSize u64 | count u32 |
 * fanout 256 × u32 | ids count × 32 (sorted) | offsets count × u64 | (version 2 only) crc32 count × u32 |
 * trailer checksum: SHA-256 of all before it. `packSize` is how much of the pack this index covers:
 * a pack is append-only, so an index of its first N bytes stays valid while more is appended after
 * a checkpoint. Version 2 adds, as git's idx v2 does, the CRC32 of each entry as it was verified
 * when stored (entry-checksum.ts); version 1 indexes (older stores, or entries whose checksum is not
 * known) stay readable, and their entries are verified by their id.
 */
const MAGIC = Buffer.from('GASI')
const HEADER = 4 + 4 + 8 + 4
const FANOUT_BYTES = 256 * 4

/** Bytes per entry after the fanout: id and offset, and in version 2 its crc32 */
const entryBytes = (version: number): number => version === 2 ? 44 : 40

/** `id` as 64 lower-case hex digits: sorting the strings sorts the bytes, without a Buffer per entry. */
export interface IndexEntry { id: string, offset: number, crc?: number }

export function encodePackIndex (entries: IndexEntry[], packSize: number): Buffer {
  const sorted = [...entries].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
  // why all or nothing: a crc32 may take any value, so there is no "unknown" to write for one entry
  const withCrcs = sorted.every((e) => e.crc !== undefined)
  return encodeSortedPackIndex(sorted.length, packSize, (i, out, at) => { out.write(sorted[i].id, at, 32, 'hex') }, (i) => sorted[i].offset, withCrcs ? (i) => sorted[i].crc! : undefined)
}

/**
 * The index of `count` entries already in id order, read through accessors (so a caller holding
 * its entries in typed arrays builds no object per entry): `writeId` puts entry i's 32-byte id at
 * `out[at]`; with `crcAt` the index is version 2.
 */
export function encodeSortedPackIndex (count: number, packSize: number, writeId: (i: number, out: Buffer, at: number) => void, offsetAt: (i: number) => number, crcAt?: (i: number) => number): Buffer {
  const version = crcAt !== undefined ? 2 : 1
  const out = Buffer.alloc(HEADER + FANOUT_BYTES + count * entryBytes(version) + 32)
  MAGIC.copy(out, 0)
  out.writeUInt32BE(version, 4)
  out.writeBigUInt64BE(BigInt(packSize), 8)
  out.writeUInt32BE(count, 16)
  const idsStart = HEADER + FANOUT_BYTES
  const offsetsStart = idsStart + count * 32
  const crcsStart = offsetsStart + count * 8
  for (let i = 0; i < count; i++) {
    writeId(i, out, idsStart + i * 32)
    // two u32 writes, not a BigInt per entry
    const offset = offsetAt(i)
    out.writeUInt32BE(Math.floor(offset / 2 ** 32), offsetsStart + i * 8)
    out.writeUInt32BE(offset % 2 ** 32, offsetsStart + i * 8 + 4)
    if (crcAt !== undefined) out.writeUInt32BE(crcAt(i), crcsStart + i * 4)
  }
  const fanout = buildFanout(out.subarray(idsStart, offsetsStart), count)
  for (let b = 0; b < 256; b++) out.writeUInt32BE(fanout[b], HEADER + b * 4)
  createHash('sha256').update(out.subarray(0, out.length - 32)).digest().copy(out, out.length - 32)
  return out
}

export class PackIndex {
  private constructor (
    readonly packSize: number,
    readonly count: number,
    private readonly fanout: Uint32Array,
    private readonly ids: Buffer,
    private readonly offsets: Buffer,
    /** version 2: each entry's crc32; undefined for a version 1 index */
    private readonly crcs: Buffer | undefined
  ) {}

  /** Checks magic, version, lengths and trailer before trusting a byte. */
  static parse (buf: Buffer, what: string): PackIndex {
    const corrupt = (why: string): never => { throw new GasError('E_CORRUPT_PACK', `${what}: ${why}; run \`gas fsck\``, { what }) }
    if (buf.length < HEADER + FANOUT_BYTES + 32) corrupt('index too short')
    if (!buf.subarray(0, 4).equals(MAGIC)) corrupt('bad index magic')
    const version = buf.readUInt32BE(4)
    if (version !== 1 && version !== 2) corrupt('unsupported index version')
    const count = buf.readUInt32BE(16)
    if (buf.length !== HEADER + FANOUT_BYTES + count * entryBytes(version) + 32) corrupt('index length does not match its count')
    const sum = createHash('sha256').update(buf.subarray(0, buf.length - 32)).digest()
    if (!sum.equals(buf.subarray(buf.length - 32))) corrupt('index checksum mismatch')
    const fanout = new Uint32Array(256)
    for (let b = 0; b < 256; b++) fanout[b] = buf.readUInt32BE(HEADER + b * 4)
    if (fanout[255] !== count) corrupt('fanout does not match count')
    // why: the binary search reads ids between fanout bounds; a decreasing fanout would send it outside the table
    for (let b = 1; b < 256; b++) if (fanout[b] < fanout[b - 1]) corrupt('fanout is not increasing')
    const packSizeBig = buf.readBigUInt64BE(8)
    if (packSizeBig > BigInt(Number.MAX_SAFE_INTEGER)) corrupt('pack size out of range')
    const packSize = Number(packSizeBig)
    const idsStart = HEADER + FANOUT_BYTES
    const offsets = buf.subarray(idsStart + count * 32, idsStart + count * 40)
    // why: an offset past what the index covers would be read as an entry of some other bytes
    for (let i = 0; i < count; i++) {
      // two u32 reads, not a BigInt per entry: an index of a million entries is checked in a few ms
      const offset = offsets.readUInt32BE(i * 8) * 2 ** 32 + offsets.readUInt32BE(i * 8 + 4)
      if (offset < PACK_MAGIC.length || offset + ENTRY_HEADER > packSize) corrupt(`entry ${i} offset ${offset} is outside the ${packSize} bytes indexed`)
    }
    const crcs = version === 2 ? buf.subarray(idsStart + count * 40, idsStart + count * 44) : undefined
    return new PackIndex(packSize, count, fanout, buf.subarray(idsStart, idsStart + count * 32), offsets, crcs)
  }

  offsetOf (id: Buffer): number | undefined {
    const i = findInFanout(this.fanout, this.ids, id)
    return i < 0 ? undefined : this.#offsetAt(i)
  }

  /** Where `id` rests and the crc32 its entry had when stored (undefined in a version 1 index). */
  locate (id: Buffer): { offset: number, crc: number | undefined } | undefined {
    const i = findInFanout(this.fanout, this.ids, id)
    return i < 0 ? undefined : { offset: this.#offsetAt(i), crc: this.crcs?.readUInt32BE(i * 4) }
  }

  /** The index's tables as stored (fanout, sorted ids, u64 BE offsets, u32 BE crc32s), for a native search of many ids at once (locateChunks, native/restore-chunks.c) */
  tables (): { fanout: Uint32Array, ids: Buffer, offsets: Buffer, crcs: Buffer | undefined } {
    return { fanout: this.fanout, ids: this.ids, offsets: this.offsets, crcs: this.crcs }
  }

  * entries (): Generator<IndexEntry> {
    for (let i = 0; i < this.count; i++) yield { id: this.ids.toString('hex', i * 32, i * 32 + 32), offset: this.#offsetAt(i), crc: this.crcs?.readUInt32BE(i * 4) }
  }

  #offsetAt (i: number): number {
    return Number(this.offsets.readBigUInt64BE(i * 8))
  }
}
