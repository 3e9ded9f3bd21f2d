import type { FileHandle } from 'node:fs/promises'
import { GasError, fromFsError } from '../errors.js'
import { realFs, type FileSystem } from '../objects/fs.js'
import { openDirectReads } from '../objects/direct-file.js'
import type { ObjectId } from '../objects/id.js'
import type { BufferPool } from '../objects/buffer-pool.js'
import type { EncodedObject } from '../objects/store.js'
import { decompress } from '../objects/compression.js'
import { hashObject } from '../objects/id.js'
import { entryChecksum } from './entry-checksum.js'
import { ENTRY_HEADER, decodeEntryHeader, encodeEntryHeader, type EntryHeader } from './pack-entry.js'
import { PackIndex } from './pack-index.js'
import { ReadAhead, type DirectOpener } from './read-ahead.js'
import { readCachedOnFirstUse, type CachedRead } from './cached-read.js'
import type { LendingPool } from './lending-pool.js'

export async function readEntryHeader (handle: FileHandle, offset: number, where: string): Promise<EntryHeader> {
  const head = Buffer.alloc(ENTRY_HEADER)
  const { bytesRead } = await handle.read(head, 0, ENTRY_HEADER, offset)
  if (bytesRead < ENTRY_HEADER) throw new GasError('E_CORRUPT_PACK', `${where}: truncated at offset ${offset}; run \`gas fsck\``, { where })
  return decodeEntryHeader(head, where)
}

/**
 * why: header and body in one read(2) for the common chunk (one thread-pool round trip, not two);
 * a larger entry reads its remainder after
 */
const ENTRY_READ_BYTES = ENTRY_HEADER + 64 * 1024

/**
 * why kept: a walk over a project's metadata reads every asset record and manifest (a few hundred
 * bytes each) without a pool; a fresh 64 KiB first-read buffer each was 660 MB of garbage for
 * 20 000 assets, which V8 let pile up to ~50 MB of RSS before collecting it.
 */
const spareFirstReads: Buffer[] = []
const MAX_SPARE_FIRST_READS = 4

/** Reads one entry at `offset` of an open pack; checks the header and that the bytes are all there. */
export async function readEntry (handle: FileHandle, offset: number, where: string, pool?: BufferPool): Promise<{ header: EntryHeader, bytes: Uint8Array }> {
  const truncated = (): GasError => new GasError('E_CORRUPT_PACK', `${where}: truncated at offset ${offset}; run \`gas fsck\``, { where })
  const first = pool?.take(ENTRY_READ_BYTES) ?? spareFirstReads.pop() ?? Buffer.allocUnsafe(ENTRY_READ_BYTES)
  const got = (await handle.read(first, 0, ENTRY_READ_BYTES, offset)).bytesRead
  if (got < ENTRY_HEADER) throw truncated()
  const header = decodeEntryHeader(Buffer.from(first.buffer, first.byteOffset, ENTRY_HEADER), where)
  const end = ENTRY_HEADER + header.storedLength
  if (end <= ENTRY_READ_BYTES) {
    if (got < end) throw truncated()
    if (pool !== undefined) return { header, bytes: first.subarray(ENTRY_HEADER, end) }
    // the entry is copied out and the 64 KiB read buffer kept for the next read (see spareFirstReads)
    const bytes = Buffer.allocUnsafe(header.storedLength)
    bytes.set(first.subarray(ENTRY_HEADER, end))
    if (spareFirstReads.length < MAX_SPARE_FIRST_READS) spareFirstReads.push(first as Buffer)
    return { header, bytes }
  }
  // why: FastCDC's chunks average 64 KiB, so about half of them take this path; a fresh buffer for
  // each was ~60 MB/s of ArrayBuffers while serving, answered by V8 with a mark-compact every 150 ms
  const bytes = pool?.take(header.storedLength) ?? Buffer.allocUnsafe(header.storedLength)
  bytes.set(first.subarray(ENTRY_HEADER, got))
  pool?.give(first)
  const rest = (await handle.read(bytes, got - ENTRY_HEADER, end - got, offset + got)).bytesRead
  if (got + rest < end) throw truncated()
  return { header, bytes }
}

async function readIndex (fs: FileSystem, indexPath: string): Promise<PackIndex> {
  let indexBytes: Buffer
  try {
    indexBytes = await fs.readFile(indexPath)
  } catch (err) {
    throw fromFsError(err, indexPath)
  }
  return PackIndex.parse(indexBytes, indexPath)
}

/** A pack with its index, opened for reading. */
/**
 * why one buffer for every lookup (the search is synchronous): a sync with nothing to fetch asks
 * every pack about several ids per asset, and a fresh buffer each was garbage V8 let pile up
 * (tens of MB of RSS at 20 000 assets) before collecting it.
 */
const idScratch = Buffer.alloc(32)

export class PackFile {
  private readonly readAhead: ReadAhead
  #index: PackIndex
  #masked: ReadonlySet<number> = new Set()

  private constructor (readonly packPath: string, index: PackIndex, private readonly handle: FileHandle, cachedRead?: CachedRead, openDirect?: DirectOpener) {
    this.#index = index
    this.readAhead = new ReadAhead(handle, cachedRead, openDirect)
  }

  get index (): PackIndex {
    return this.#index
  }

  static async open (fs: FileSystem, packPath: string, indexPath: string): Promise<PackFile> {
    const index = await readIndex(fs, indexPath)
    let handle: FileHandle
    try {
      handle = await fs.open(packPath, 'r')
    } catch (err) {
      throw fromFsError(err, packPath)
    }
    const { size } = await handle.stat()
    if (size < index.packSize) {
      await handle.close()
      throw new GasError('E_CORRUPT_PACK', `${packPath}: truncated to ${size} bytes, its index covers ${index.packSize}; run \`gas fsck\``, { what: packPath })
    }
    // why only on the real file system: a test's file system sees (and fails) reads through its handles, which a read by FFI bypasses
    return fs === realFs ? new PackFile(packPath, index, handle, readCachedOnFirstUse, async () => await openDirectReads(fs, packPath)) : new PackFile(packPath, index, handle)
  }

  /**
   * Takes the longer index another process's writer checkpointed for this (append-only) pack.
   * The open handle stays: reads under way go on, and nothing this pack held stops being found
   * while the new index is read (why: closing and reopening left a moment where a serving peer
   * answered "not here" and a read in flight failed on a closed handle).
   */
  async reindex (fs: FileSystem, indexPath: string): Promise<void> {
    const index = await readIndex(fs, indexPath)
    const { size } = await this.handle.stat()
    if (size < index.packSize) throw new GasError('E_CORRUPT_PACK', `${this.packPath}: truncated to ${size} bytes, its index covers ${index.packSize}; run \`gas fsck\``, { what: this.packPath })
    this.#index = index
  }

  /** Entries set aside as damaged (quarantine.ts): readers skip them, so a good copy elsewhere is found. */
  setMask (offsets: ReadonlySet<number>): void {
    this.#masked = new Set(offsets)
  }

  get masked (): ReadonlySet<number> {
    return this.#masked
  }

  /** Where `id` rests in this pack, unless that entry is masked */
  offsetOf (id: ObjectId): number | undefined {
    // an id that is not 64 hex digits is in no pack (and must not match the bytes left by the last lookup)
    if (id.length !== 64 || idScratch.write(id, 0, 32, 'hex') !== 32) return undefined
    const offset = this.index.offsetOf(idScratch)
    return offset === undefined || this.#masked.has(offset) ? undefined : offset
  }

  /** Where `id` rests in this pack and its entry's crc32 when the index holds one, unless that entry is masked */
  locate (id: ObjectId): { offset: number, crc: number | undefined } | undefined {
    if (id.length !== 64 || idScratch.write(id, 0, 32, 'hex') !== 32) return undefined
    const at = this.index.locate(idScratch)
    return at === undefined || this.#masked.has(at.offset) ? undefined : at
  }

  /** locate, for an id given as its 32 bytes (restore asks for every chunk of a file: no hex string each) */
  locateId (id: Buffer): { offset: number, crc: number | undefined } | undefined {
    const at = this.index.locate(id)
    return at === undefined || this.#masked.has(at.offset) ? undefined : at
  }

  has (id: ObjectId): boolean {
    return this.offsetOf(id) !== undefined
  }

  async read (id: ObjectId, pool?: BufferPool): Promise<EncodedObject | undefined> {
    const offset = this.offsetOf(id)
    if (offset === undefined) return undefined
    const ahead = await this.readAhead.entry(offset, this.packPath, pool)
    if (ahead === undefined) return await this.readAt(id, offset, pool)
    if (ahead.header.id !== id) throw GasError.corruptObject(id, `pack entry at ${offset} holds ${ahead.header.id}`)
    return { type: ahead.header.type, encoding: ahead.header.encoding, rawLength: ahead.header.rawLength, bytes: ahead.bytes }
  }

  /** read() of the object at `offset` (offsetOf) lent out of a read-ahead window already read; undefined when it is not in one (then read()). */
  readNow (id: ObjectId, offset: number, pool: LendingPool): EncodedObject | undefined {
    const ahead = this.readAhead.entryNow(offset, this.packPath, pool)
    if (ahead === undefined) return undefined
    if (ahead.header.id !== id) {
      pool.give(ahead.bytes)
      throw GasError.corruptObject(id, `pack entry at ${offset} holds ${ahead.header.id}`)
    }
    return { type: ahead.header.type, encoding: ahead.header.encoding, rawLength: ahead.header.rawLength, bytes: ahead.bytes }
  }

  async readAt (id: ObjectId, offset: number, pool?: BufferPool): Promise<EncodedObject> {
    const { header, bytes } = await readEntry(this.handle, offset, this.packPath, pool)
    this.readAhead.passed(offset + ENTRY_HEADER + header.storedLength)
    if (header.id !== id) throw GasError.corruptObject(id, `pack entry at ${offset} holds ${header.id}`)
    return { type: header.type, encoding: header.encoding, rawLength: header.rawLength, bytes }
  }

  /**
   * readAt, checked against the crc32 the index holds for the entry, or (version 1 index) hashed
   * against its id: what is copied into another pack (whose index then vouches for it) must not
   * carry damage along.
   */
  async readChecked (id: ObjectId, offset: number): Promise<EncodedObject> {
    const object = await this.readAt(id, offset)
    const crc = this.locate(id)?.crc
    const header = encodeEntryHeader({ type: object.type, encoding: object.encoding, rawLength: object.rawLength, storedLength: object.bytes.length, id })
    const good = crc !== undefined
      ? entryChecksum(header, object.bytes) === crc
      : hashObject(object.type, decompress(object.encoding, object.bytes, object.rawLength, id)) === id
    if (!good) throw GasError.corruptObject(id, `pack entry at ${offset} of ${this.packPath} is damaged`)
    return object
  }

  /** Up to `buffer.length` bytes of the pack from `offset` in one read(2) (chunk-runs.ts parses the entries); returns how many were read. */
  async readRange (buffer: Uint8Array, offset: number): Promise<number> {
    try {
      return (await this.handle.read(buffer, 0, buffer.length, offset)).bytesRead
    } catch (err) {
      throw fromFsError(err, this.packPath)
    }
  }

  /** The open descriptor, for the native restore's reads (native-restore.ts) */
  get fd (): number {
    return this.handle.fd
  }

  async entryHeader (offset: number): Promise<EntryHeader> {
    return await readEntryHeader(this.handle, offset, this.packPath)
  }

  async close (): Promise<void> {
    await this.readAhead.close()
    await this.handle.close().catch(() => {})
  }
}
