import type { FileHandle } from 'node:fs/promises'
import { fromFsError } from '../errors.js'
import { AlignedBuffers, DIRECT_ALIGNMENT } from '../objects/aligned-buffers.js'
import { blocksWithin, openDirectWrites } from '../objects/direct-file.js'
import { FlushBehind } from '../objects/flush-behind.js'
import type { FileSystem } from '../objects/fs.js'
import { writeAll } from '../objects/write-all.js'
import { BATCH_BYTES, WRITE_BUFFER } from './batch-size.js'
import { PACK_MAGIC } from './pack-entry.js'
import type { PackEntryTable } from './pack-entry-table.js'

/**
 * why 4 MiB (a batch's entries, the overflowing one and the partial block carried from one write to
 * the next need BATCH_BYTES plus a block): what fills while a write runs. A fetch writes every 512 KiB
 * (RECEIVED_WRITE_BYTES) when the disk keeps up; when a write is slow the batch takes the next
 * 4 MiB before the verify chain waits, instead of 2.5 MiB (1 GiB over TCP, loaded machine, 4
 * alternating runs each: fetch 2.56 -> 2.24 s; 8 MiB measured no better). It costs no memory: the
 * batch is made of 2 MiB huge pages (aligned-buffers.ts), and 2.5 MiB took two of them already.
 * Reused from pack to pack.
 */
export const DIRECT_BATCH_BYTES = Math.max(4 * 1024 * 1024, Math.ceil(BATCH_BYTES / DIRECT_ALIGNMENT) * DIRECT_ALIGNMENT + DIRECT_ALIGNMENT)
const alignedBatches = new AlignedBuffers(DIRECT_BATCH_BYTES)

/**
 * The write batches of a fresh pack written with O_DIRECT (direct-file.ts), for PackWriter: whole
 * blocks go to the file through a handle of their own, the partial block at the end is carried to
 * the front of the next batch (so every write starts on a block boundary) and written the usual
 * way only when a checkpoint or a read needs every byte in the file. Two aligned batches: one
 * fills while the other is written; writes run one after another, in offset order.
 */
export class DirectPackBatch {
  /** the batch being filled; it starts at file offset `batchStart` (a block boundary) with the partial block the last write left */
  private fill: Buffer
  /** the other batch: written from while `fill` fills */
  private spare: Buffer
  private fillUsed = PACK_MAGIC.length
  private batchStart = 0
  /** bytes appended since the last write started */
  private newBytes = 0
  /** entries before this offset are whole in the file */
  private wholeEnd = PACK_MAGIC.length
  private inFlight: Promise<void> = Promise.resolve()
  /** a write is running (see PackWriter.append: the batch goes on filling meanwhile) */
  private writing = false
  /** the `writeAt` of the latest append: a write that ends starts the next once the batch holds this much */
  private writeAt = WRITE_BUFFER
  private closed = false
  /** what reached the file is made durable behind the writes, so the pack's checkpoint at the end has little left to flush */
  private readonly flushBehind: FlushBehind

  private constructor (private readonly handle: FileHandle, private readonly packHandle: FileHandle, private readonly packPath: string, private readonly entries: PackEntryTable, fill: Buffer, spare: Buffer) {
    // the first block starts with the magic, written already: the first direct write writes it again
    PACK_MAGIC.copy(fill, 0)
    this.fill = fill
    this.spare = spare
    this.flushBehind = new FlushBehind(handle)
  }

  /**
   * Batches for the pack at `packPath`, which holds only its magic so far (`packHandle`, its usual
   * handle, writes partial blocks); undefined where aligned memory or O_DIRECT cannot be had.
   */
  static async open (fs: FileSystem, packPath: string, packHandle: FileHandle, entries: PackEntryTable): Promise<DirectPackBatch | undefined> {
    const fill = alignedBatches.take()
    const spare = fill !== undefined ? alignedBatches.take() : undefined
    const handle = spare !== undefined ? await openDirectWrites(fs, packPath).catch(() => undefined) : undefined
    if (handle === undefined || fill === undefined || spare === undefined) {
      for (const b of [fill, spare]) if (b !== undefined) alignedBatches.give(b)
      return undefined
    }
    return new DirectPackBatch(handle, packHandle, packPath, entries, fill, spare)
  }

  /** where the next entry is copied: `batch` at `used` */
  get batch (): Buffer {
    return this.fill
  }

  get used (): number {
    return this.fillUsed
  }

  /** entries before this offset are whole in the file */
  get written (): number {
    return this.wholeEnd
  }

  /** the end of everything appended: the batch holds all from its start on */
  private get appended (): number {
    return this.batchStart + this.fillUsed
  }

  /** Whether the batch takes `bytes` more, once what it holds is written if need be; false: it never will (the pack must leave O_DIRECT). */
  async makeRoom (bytes: number): Promise<boolean> {
    if (this.fillUsed + bytes > this.fill.length) await this.write(false)
    return this.fillUsed + bytes <= this.fill.length
  }

  /** `bytes` were copied into the batch at `used`; the batch is written once it holds `writeAt` (at most WRITE_BUFFER). */
  async added (bytes: number, writeAt: number): Promise<void> {
    this.fillUsed += bytes
    this.newBytes += bytes
    // why not while a write runs: the caller (a fetch's verify chain) would wait for the disk at
    // every batch, and each write's tail (a few ms now and then on a busy machine) stopped hashing
    // and, through the verify backlog, the requests (profiled: the fetch's bubbles). The batch
    // (DIRECT_BATCH_BYTES) goes on filling instead; the write's end starts the next (write).
    this.writeAt = writeAt
    if (this.fillUsed >= Math.min(writeAt, WRITE_BUFFER) && !this.writing) await this.write(false)
  }

  /** Writes everything appended, its partial last block the usual way, and waits until it is in the file. */
  async writeEverything (): Promise<void> {
    await this.write(true)
    try {
      await this.inFlight
      await this.flushBehind.flushed()
    } catch (err) {
      throw fromFsError(err, this.packPath)
    }
  }

  /**
   * Once the write before is done, the batch's whole blocks go out and its partial last block
   * moves to the front of the other batch (so the next write starts on a block boundary).
   * `everything`: that partial block is also written, the usual way, so every entry appended is in
   * the file (the next direct write covers it again).
   */
  private async write (everything: boolean): Promise<void> {
    try {
      // until no write runs: another caller (a write's end, a drain) may have started one meanwhile
      for (let waited: Promise<void> | undefined; waited !== this.inFlight;) {
        waited = this.inFlight
        await waited
      }
    } catch (err) {
      throw fromFsError(err, this.packPath)
    }
    if (this.newBytes === 0 && !(everything && this.wholeEnd < this.appended)) return
    const buffer = this.fill
    const total = this.fillUsed
    const whole = blocksWithin(total)
    const position = this.batchStart
    ;[this.fill, this.spare] = [this.spare, this.fill]
    this.fill.set(buffer.subarray(whole, total), 0)
    this.fillUsed = total - whole
    this.batchStart = position + whole
    this.newBytes = 0
    this.writing = true
    const write = (async () => {
      try {
        if (whole > 0) await writeAll(this.handle, [buffer.subarray(0, whole)], position)
        if (everything && whole < total) await writeAll(this.packHandle, [buffer.subarray(whole, total)], position + whole)
      } finally {
        this.writing = false
      }
      this.wholeEnd = Math.max(this.wholeEnd, everything ? position + total : this.wholeEntriesBefore(position + whole))
      this.flushBehind.written(position + whole)
    })()
    this.inFlight = write
    // what filled the batch while this write ran goes next (a failure is the next append's)
    write.then(() => {
      if (!this.closed && this.inFlight === write && this.fillUsed >= Math.min(this.writeAt, WRITE_BUFFER)) this.write(false).catch(() => {})
    }, () => {})
  }

  /** The end of the last entry whose bytes all lie before `end` (entries are whole in the file up to there). */
  private wholeEntriesBefore (end: number): number {
    const n = this.entries.countBefore(end)
    if (n === 0) return PACK_MAGIC.length
    const lastEnd = n < this.entries.size ? this.entries.offsetAt(n) : this.appended
    return lastEnd <= end ? lastEnd : this.entries.offsetAt(n - 1)
  }

  /** Closes the O_DIRECT handle; once the last write has ended (written, or never will be), the batches serve the next pack. */
  async close (): Promise<void> {
    this.closed = true
    await this.flushBehind.settle()
    await this.handle.close().catch(() => {})
    await this.inFlight.catch(() => {})
    alignedBatches.give(this.fill)
    alignedBatches.give(this.spare)
  }
}
