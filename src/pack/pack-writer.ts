import { randomBytes } from 'node:crypto'
import type { FileHandle } from 'node:fs/promises'
import { join } from 'node:path'
import { fromFsError } from '../errors.js'
import { writeFileAtomic } from '../objects/atomic-write.js'
import { DropBehind } from '../objects/drop-behind.js'
import type { FileSystem } from '../objects/fs.js'
import type { ObjectId } from '../objects/id.js'
import type { EncodedObject, EntryChecksum } from '../objects/store.js'
import { BATCH_BYTES, WRITE_BUFFER } from './batch-size.js'
import { DirectPackBatch } from './direct-pack-batch.js'
import { checksumOfEntryBytes, crc32Of } from './entry-checksum.js'
import { ENTRY_HEADER, PACK_MAGIC, writeEntryHeader } from './pack-entry.js'
import { PackEntryTable } from './pack-entry-table.js'
import { copyBytes } from '../objects/copy-bytes.js'

/**
 * Batches filled or being written at most; appending waits only when all are. why not one write in
 * flight (the batch then its spare): a write that stalls behind the file system (an fdatasync of a
 * checkpoint, writeback) held up `gas add` for 0.4–0.5 s per GiB, its thread waiting while the
 * chunking worker ran out of slots. Writes still run one after another, in offset order.
 */
const BATCHES = 4
/**
 * A checkpoint rewrites (and sorts) the whole index, so it runs every max(64 MiB, 16 × index size)
 * of appended data: the rewrites stay under 1/16 of the data written. A crash between checkpoints
 * loses nothing complete: the next open recovers the entries appended after the last index
 * (recover.ts), since every entry carries its id and is verified.
 */
const CHECKPOINT_MIN = 64 * 1024 * 1024
/**
 * The same for a pack written with O_DIRECT (chunks received by a sync or added by ingest). why 1 GiB: each
 * checkpoint's fdatasync flushes the disk's write cache, and on this machine's virtual disk every
 * write of the sync (pack and arriving file) stands still until it is done: ~230 ms per 256 MiB
 * received. Every 256 MiB, a 1 GiB fetch over TCP stood still ~0.9 s of its ~3.8 (5 alternating
 * runs each: 3.85 -> 3.54 s). What a kill leaves unindexed the next open recovers from the pack
 * (recover.ts verifies each entry, a resume re-fetches nothing for it), so the interval bounds
 * only that scan (about a second per GiB) and what a power loss costs: the received tail since the
 * last checkpoint, fetched (or chunked) again. The caller's own flush at the end makes everything durable.
 */
const DIRECT_CHECKPOINT_MIN = 1024 * 1024 * 1024

/** the ordinary batch of a pack written with O_DIRECT: its entries go to the direct batches */
const NO_BATCH = Buffer.alloc(0)

/**
 * Appends objects to one pack. Nothing is visible to other processes until a checkpoint writes
 * the index (temporary name, then rename) covering what the pack holds so far.
 */
export class PackWriter {
  /** each entry's offset and crc32 as appended, for the index (version 2) and readers of the open pack */
  private readonly entries = new PackEntryTable()
  /** entries are copied into this batch; larger ones get a buffer of their own in `buffered` */
  private batch: Buffer = Buffer.allocUnsafeSlow(BATCH_BYTES)
  /** batches whose write is done, ready to be filled again (more are made, up to BATCHES, while writes are slow) */
  private spareBatches: Buffer[] = []
  private batchesMade = 1
  /** writes queued or running, oldest first, each with the batch it writes from */
  private pending: Array<{ done: Promise<void>, batch: Buffer | undefined, settled: boolean }> = []
  private batchUsed = 0
  private buffered: Buffer[] = []
  private bufferedBytes = 0
  /** entries before this offset are whole in the file (a direct pack's own batches keep theirs: wholeInFile) */
  private written = 0
  /** the end of everything appended (the next entry's offset) */
  private appended = 0
  private inFlight: Promise<void> = Promise.resolve()
  private inFlightBytes = 0
  private sinceCheckpoint = 0
  private indexedCount = 0
  /** checkpoints run one after another (each renames a longer index into place), in this chain */
  private indexing: Promise<void> = Promise.resolve()
  private checkpointRunning = false
  /**
   * The first write, fdatasync or checkpoint that failed: from then on every append, checkpoint and
   * read of an unwritten entry throws it, and no index is written again. why sticky: after a failed
   * fdatasync Linux may mark the lost pages clean, so a later one succeeds over data that is not
   * on disk; and a failed write leaves a hole the next write would land after. The store replaces
   * a failed writer with a new pack (FileStore), so space freed lets the same process go on.
   */
  private failure: { error: unknown } | undefined
  /** set by dropWrittenPages() where O_DIRECT is refused: written pages leave the page cache as the pack grows */
  private dropBehind: DropBehind | undefined
  /** set by dropWrittenPages(): appended entries fill these batches instead, written with O_DIRECT */
  private direct: DirectPackBatch | undefined
  private pagesDecided = false

  private constructor (private readonly fs: FileSystem, private readonly handle: FileHandle, readonly packPath: string, readonly indexPath: string) {
    this.written = PACK_MAGIC.length
    this.appended = PACK_MAGIC.length
  }

  static async create (fs: FileSystem, packDir: string): Promise<PackWriter> {
    const name = `pack-${randomBytes(16).toString('hex')}`
    const packPath = join(packDir, `${name}.pack`)
    try {
      await fs.mkdir(packDir, { recursive: true })
      // The lock names the writing process, so recovery never touches a pack that is still growing.
      await fs.writeFile(join(packDir, `${name}.lock`), String(process.pid))
      const handle = await fs.open(packPath, 'wx+')
      await handle.write(PACK_MAGIC)
      return new PackWriter(fs, handle, packPath, join(packDir, `${name}.idx`))
    } catch (err) {
      throw fromFsError(err, packPath)
    }
  }

  has (id: ObjectId): boolean {
    return this.entries.has(id)
  }

  /** has, for an id given as its 32 bytes */
  hasKey (key: Buffer): boolean {
    return this.entries.hasKey(key)
  }

  /**
   * From now on the pack bypasses the page cache: a fresh pack is written with O_DIRECT in whole
   * blocks (direct-file.ts), the partial block at its end carried in the batch (and written the
   * usual way only when a checkpoint or a read needs every byte in the file); otherwise, or where
   * O_DIRECT is refused, its pages are written back and dropped as it grows (drop-behind.ts).
   * FileStore asks for it when chunks are appended (received or added): neither a sync nor an add
   * reads them again.
   */
  async dropWrittenPages (): Promise<void> {
    if (this.pagesDecided) return
    this.pagesDecided = true
    const fresh = (): boolean => this.appended === PACK_MAGIC.length
    const direct = fresh() && this.batchUsed === 0 && this.inFlightBytes === 0 ? await DirectPackBatch.open(this.fs, this.packPath, this.handle, this.entries) : undefined
    // fresh still: nothing was appended while O_DIRECT was being opened
    if (direct !== undefined && fresh()) {
      this.direct = direct
      this.batch = NO_BATCH // the direct batches take its place
      return
    }
    await direct?.close()
    this.dropBehind = new DropBehind(this.handle.fd, { from: this.written })
  }

  get size (): number {
    return this.appended
  }

  get count (): number {
    return this.entries.size
  }

  /**
   * Appends one object. Its bytes are copied into the write batch, so the caller may reuse its
   * buffer at once (ingest reads into a few shared slots it recycles). The batch is written once
   * it holds `writeAt` bytes (at most WRITE_BUFFER): what a SIGKILL can lose is this batch and
   * the write in flight.
   */
  async append (id: ObjectId, object: EncodedObject, writeAt = WRITE_BUFFER, checksum?: EntryChecksum): Promise<void> {
    this.throwIfFailed()
    if (this.entries.has(id)) return
    await this.failing(async () => await this.appendEntry(id, object, writeAt, checksum))
  }

  private async appendEntry (id: ObjectId, object: EncodedObject, writeAt: number, checksum?: EntryChecksum): Promise<void> {
    const added = ENTRY_HEADER + object.bytes.length
    // an entry larger than a batch is written from a buffer of its own, the usual way: the pack leaves O_DIRECT for good
    if (this.direct !== undefined && !(await this.direct.makeRoom(added))) await this.leaveDirect()
    if (this.direct !== undefined) {
      this.addEntry(this.direct.batch, this.direct.used, id, object, added, checksum)
      await this.direct.added(added, writeAt)
    } else {
      if (this.batchUsed + added > this.batch.length) await this.writeBuffered()
      const target = added > this.batch.length ? Buffer.allocUnsafe(added) : this.batch
      this.addEntry(target, target === this.batch ? this.batchUsed : 0, id, object, added, checksum)
      if (target === this.batch) this.batchUsed += added
      else this.buffered.push(target)
      this.bufferedBytes += added
      // an entry with its own buffer goes out at once, so entries reach the file in offset order
      if (this.batchUsed >= Math.min(writeAt, WRITE_BUFFER) || target !== this.batch) await this.writeBuffered()
    }
    if (this.sinceCheckpoint >= Math.max(this.direct === undefined ? CHECKPOINT_MIN : DIRECT_CHECKPOINT_MIN, this.entries.size * 40 * 16)) this.checkpointInBackground()
  }

  /**
   * Writes the entry of `id` at `at` in `target` and records it as the pack's next entry. Its
   * CRC-32 is `checksum`'s when that was started from this very header (crc32 of ~42 bytes
   * checks it), otherwise computed here over the whole entry.
   */
  private addEntry (target: Buffer, at: number, id: ObjectId, object: EncodedObject, added: number, checksum?: EntryChecksum): void {
    writeEntryHeader(target, at, { type: object.type, encoding: object.encoding, rawLength: object.rawLength, storedLength: object.bytes.length, id })
    copyBytes(target, at + ENTRY_HEADER, object.bytes)
    const given = checksum !== undefined && crc32Of(target.subarray(at, at + ENTRY_HEADER)) === checksum.seed ? checksum.crc : undefined
    this.entries.add(id, this.appended, given ?? checksumOfEntryBytes(target.subarray(at, at + added)))
    this.appended += added
    this.sinceCheckpoint += added
  }

  /** entries before this offset are whole in the file */
  private get wholeInFile (): number {
    return this.direct?.written ?? this.written
  }

  /**
   * Indexes what has reached the file while appending goes on. why: a checkpoint waits for
   * fdatasync of up to 64 MiB (~50 ms here, 16 times per GiB); awaited in `append`, ingest stood
   * still for all of it, though nothing it appends needs the index until the caller's flush.
   */
  private checkpointInBackground (): void {
    if (this.checkpointRunning) return
    this.checkpointRunning = true
    this.sinceCheckpoint = 0
    this.indexing = this.indexing.then(async () => await this.indexWritten()).catch((err) => { this.failure ??= { error: err } }).finally(() => { this.checkpointRunning = false })
  }

  /** True once a write, fdatasync or checkpoint failed: the writer takes nothing more. */
  get failed (): boolean {
    return this.failure !== undefined
  }

  /** Entries an index on disk covers (made durable before any failure). */
  get durableCount (): number {
    return this.indexedCount
  }

  private throwIfFailed (): void {
    if (this.failure !== undefined) throw this.failure.error
  }

  /** Runs `step`; a failure of it fails the writer for good (see `failure`). */
  private async failing<T> (step: () => Promise<T>): Promise<T> {
    this.throwIfFailed()
    try {
      return await step()
    } catch (err) {
      this.failure ??= { error: err }
      throw err
    }
  }

  /** Reads back an entry this writer holds (for a reader in the same process before a checkpoint). */
  offsetOf (id: ObjectId): number | undefined {
    return this.entries.offsetOf(id)
  }

  /** The crc32 of the entry appended for `id` (entry-checksum.ts) */
  crcOf (id: ObjectId): number | undefined {
    return this.entries.crcOf(id)
  }

  /** Like PackFile.readRange; what is still buffered is written out first when the range reaches it. */
  async readRange (buffer: Uint8Array, offset: number): Promise<number> {
    if (offset + buffer.length > this.wholeInFile) await this.drain()
    try {
      return (await this.handle.read(buffer, 0, buffer.length, offset)).bytesRead
    } catch (err) {
      throw fromFsError(err, this.packPath)
    }
  }

  async read (id: ObjectId): Promise<{ offset: number, handle: FileHandle } | undefined> {
    const offset = this.entries.offsetOf(id)
    if (offset === undefined) return undefined
    if (offset >= this.wholeInFile) await this.failing(async () => await this.drain())
    return { offset, handle: this.handle }
  }

  /**
   * Starts writing what is buffered (after the writes before it) and returns once a batch is free
   * to fill: the disk overlaps chunking and hashing. writev avoids copying into one buffer.
   */
  private async writeBuffered (): Promise<void> {
    // the batch to fill next is found before this one is handed over (an append meanwhile still fills this one)
    if (this.batchUsed > 0) await this.ensureSpareBatch()
    if (this.bufferedBytes > 0) {
      const batch = this.batchUsed > 0 ? this.batch : undefined
      const buffers = batch !== undefined ? [batch.subarray(0, this.batchUsed), ...this.buffered] : this.buffered
      const position = this.written + this.inFlightBytes
      const length = this.bufferedBytes
      if (batch !== undefined) this.batch = this.spareBatches.pop() ?? Buffer.allocUnsafeSlow(BATCH_BYTES)
      this.batchUsed = 0
      this.buffered = []
      this.bufferedBytes = 0
      this.inFlightBytes += length
      const write = { done: Promise.resolve(), batch, settled: false }
      write.done = this.inFlight.then(async () => {
        await this.handle.writev(buffers, position)
        this.written += length
        this.inFlightBytes -= length
        this.dropBehind?.written(this.written)
      }).finally(() => { write.settled = true })
      write.done.catch(() => {})
      this.inFlight = write.done
      this.pending.push(write)
    }
    // a failed write fails the next append, not a later one
    while (this.pending.length > 0 && this.pending[0].settled) await this.retire()
  }

  /** A spare batch: one whose write is done, a new one while fewer than BATCHES exist, else the oldest write's once it is done. */
  private async ensureSpareBatch (): Promise<void> {
    while (this.spareBatches.length === 0) {
      if (this.pending.length > 0 && (this.pending[0].settled || this.batchesMade >= BATCHES)) await this.retire()
      else {
        this.batchesMade++
        this.spareBatches.push(Buffer.allocUnsafeSlow(BATCH_BYTES))
      }
    }
  }

  /** Waits for the oldest write; its batch becomes a spare. */
  private async retire (): Promise<void> {
    const oldest = this.pending.shift()
    if (oldest === undefined) throw new Error('pack writer: no write to wait for')
    try {
      await oldest.done
    } catch (err) {
      throw fromFsError(err, this.packPath)
    }
    if (oldest.batch !== undefined) this.spareBatches.push(oldest.batch)
  }

  /** Writes everything appended (its partial block the usual way) and goes on without O_DIRECT. */
  private async leaveDirect (): Promise<void> {
    const direct = this.direct!
    await direct.writeEverything()
    this.direct = undefined
    this.written = direct.written
    this.batch = Buffer.allocUnsafeSlow(BATCH_BYTES)
    this.batchUsed = 0
    await direct.close()
    this.dropBehind = new DropBehind(this.handle.fd, { from: this.written })
  }

  /** Waits until every byte appended has reached the file. */
  private async drain (): Promise<void> {
    if (this.direct !== undefined) return await this.direct.writeEverything()
    await this.writeBuffered()
    while (this.pending.length > 0) await this.retire()
    // a write another caller retired (a second drain, an append waiting for a batch) is out of
    // `pending` but may still run: every write is chained on inFlight. why: two reads of a pending
    // entry at once, the second read the file before the first one's write had landed (`pack: truncated`)
    try {
      await this.inFlight
    } catch (err) {
      throw fromFsError(err, this.packPath)
    }
  }

  /** Makes everything appended so far durable and visible: data first, then the index over it. */
  async checkpoint (): Promise<void> {
    await this.failing(async () => {
      this.sinceCheckpoint = 0
      await this.drain()
      const run = this.indexing.then(async () => { this.throwIfFailed(); await this.indexWritten() })
      this.indexing = run.catch(() => {})
      await run
    })
  }

  /**
   * Makes the entries that have reached the file durable, then renames an index over them into
   * place. Entries are whole in the file once `wholeInFile` passed them (batches hold whole entries)
   * and sit in the table in offset order, so the indexed ones are a prefix of it.
   */
  private async indexWritten (): Promise<void> {
    const end = this.wholeInFile
    const count = this.entries.countBefore(end)
    if (count === this.indexedCount) return
    try {
      await this.handle.datasync()
    } catch (err) {
      throw fromFsError(err, this.packPath)
    }
    await writeFileAtomic(this.fs, this.indexPath, this.entries.encodeIndex(count, end))
    this.indexedCount = count
  }

  /** Checkpoints and closes; an empty pack is removed. */
  async close (): Promise<void> {
    try {
      await this.checkpoint()
    } finally {
      await this.dropBehind?.settle()
      await this.direct?.close()
      await this.handle.close().catch(() => {})
      await this.inFlight.catch(() => {})
      // a failed pack with no index claims nothing: its bytes go (ones indexed before the failure stay)
      if (this.entries.size === 0 || (this.failure !== undefined && this.indexedCount === 0)) await this.fs.rm(this.packPath, { force: true }).catch(() => {})
      await this.fs.rm(lockPathOf(this.packPath), { force: true }).catch(() => {})
    }
  }
}

export function lockPathOf (packPath: string): string {
  return packPath.replace(/\.pack$/, '.lock')
}
