import type { FileHandle } from 'node:fs/promises'
import { CHUNK_MAX } from '../objects/chunker.js'
import { decompress } from '../objects/compression.js'
import { AlignedBuffers, DIRECT_ALIGNMENT } from '../objects/aligned-buffers.js'
import { blocksWithin, openForWriting, wholeBlocks } from '../objects/direct-file.js'
import { DropBehind } from '../objects/drop-behind.js'
import { chunkRefsFrom, type ListedManifest } from '../objects/chunk-list.js'
import type { FileSystem } from '../objects/fs.js'
import type { ObjectId } from '../objects/id.js'
import type { EncodedObject, ObjectStore } from '../objects/store.js'
import { readChunksInOrder } from '../pack/chunk-runs.js'
import { checkAssembledSample } from './assembled-sample.js'
import { writeAll } from '../objects/write-all.js'
import { copyBytes, copyOf } from '../objects/copy-bytes.js'

/**
 * why: one write per ~4 MiB keeps syscalls few; with one write in flight a file holds two or three
 * such batches. Just under 4 MiB so that a whole batch (below) is two 2 MiB huge pages
 * (aligned-buffers.ts), not three.
 */
const WRITE_BYTES = 4 * 1024 * 1024 - CHUNK_MAX - DIRECT_ALIGNMENT
/** why: a chunk further ahead of the next one to write than this is not held; the file is finished from the store instead */
const AHEAD_CHUNKS = 512
/** a batch holds WRITE_BYTES, the chunk that crossed it, and the partial block carried from the write before (direct-file.ts) */
const BATCH_BYTES = WRITE_BYTES + CHUNK_MAX + DIRECT_ALIGNMENT
/** why shared: batches of every file a sync writes, aligned for O_DIRECT and reused from file to file */
const batches = new AlignedBuffers(BATCH_BYTES)

/** Raw bytes held for chunks that arrived ahead of their turn, shared by every file of a sync. */
export class AheadBudget {
  used = 0
  constructor (readonly limit: number) {}
}

/**
 * One file written while its chunks arrive (a sync's content phase), in the manifest's order, to
 * a temporary name: each chunk the swarm has just verified and stored is handed to `offer`; the
 * one whose turn it is goes into the write batch at once, a few ahead of their turn wait in
 * memory (within a shared budget). A chunk that was stored before the sync, or arrived too far
 * ahead, stops the writing here until `finish`, which reads the rest from the store once the
 * fetch has flushed it. Size, each chunk's length and a read-back sample of chunks
 * (assembled-sample.ts) are checked before the file counts as prepared; until then, and whenever
 * anything fails, nobody sees it.
 *
 * why no whole-file SHA-256: every chunk handed in was verified against its id before it was
 * stored (or is read from the store, which checks it), and the manifest naming those chunks in
 * order was itself verified by its id when it was fetched; a second pass over every byte proves
 * nothing more about the content (restore dropped it by the same argument: file-content-writer.ts)
 * and cost ~0.55 CPU s per GiB on a thread of its own plus ~0.2 s on the main thread handing it
 * the batches. What it still caught, a chunk written at the wrong place or a batch reused while its
 * write was in flight, the lengths and the sample catch.
 */
export class FileAssembler {
  /**
   * where each chunk from the cursor to AHEAD_CHUNKS ahead goes: one index, or several when the
   * file repeats it. why only those: a chunk further ahead is not taken anyway, and a map of every
   * chunk of a 10 GB file (~160 000) was ~6 MiB of heap on top of the list itself
   */
  readonly #window = new Map<ObjectId, number | number[]>()
  /** the first index not in #window yet */
  #windowEnd = 0
  readonly #ahead = new Map<number, Uint8Array>()
  #handle: Promise<FileHandle> | undefined
  /** the file was opened with O_DIRECT (direct-file.ts): writes are whole blocks, the last padded, then the file truncated */
  #direct = false
  /** every batch so far came from aligned memory, so O_DIRECT may be asked for */
  #aligned = true
  /** the file's pages leave the page cache as it is written (drop-behind.ts): nothing reads it again before the checkout renames it */
  #dropBehind: DropBehind | undefined
  #cursor = 0
  #written = 0
  /** chunks are copied into a batch buffer (no allocation per chunk: a sync's heap stays calm); batches are reused once written */
  #batch: Buffer | undefined
  #batchBytes = 0
  #inFlight: Promise<void> = Promise.resolve()
  /** each write not finished yet, oldest first */
  readonly #writes: Array<Promise<void>> = []
  #failed = false

  constructor (private readonly fs: FileSystem, readonly manifest: ListedManifest, readonly tmpPath: string, private readonly budget: AheadBudget) {
    this.#fillWindow()
  }

  #fillWindow (): void {
    const end = Math.min(this.manifest.chunks.count, this.#cursor + AHEAD_CHUNKS)
    for (; this.#windowEnd < end; this.#windowEnd++) {
      const id = this.manifest.chunks.idAt(this.#windowEnd)
      const at = this.#window.get(id)
      if (at === undefined) this.#window.set(id, this.#windowEnd)
      else if (typeof at === 'number') this.#window.set(id, [at, this.#windowEnd])
      else at.push(this.#windowEnd)
    }
  }

  /** The cursor moved past `index` (the lowest position in the window): it leaves the window, the next one comes in. */
  #advanceWindow (index: number): void {
    const id = this.manifest.chunks.idAt(index)
    const at = this.#window.get(id)
    if (typeof at === 'number') this.#window.delete(id)
    else if (at !== undefined) {
      at.shift()
      if (at.length === 1) this.#window.set(id, at[0])
    }
    this.#fillWindow()
  }

  /** whether `id` is one of this file's chunks from the cursor to AHEAD_CHUNKS ahead (the only ones `offer` takes) */
  wants (id: ObjectId): boolean {
    return this.#window.has(id)
  }

  /** chunks written or batched so far, in order from the first */
  get cursor (): number {
    return this.#cursor
  }

  get started (): boolean {
    return this.#handle !== undefined
  }

  /**
   * A chunk just verified and stored; `object.bytes` is only read during this call. Returns a
   * promise when the disk is behind (a batch written and another waiting): the caller waits for it
   * before storing more, so what this file holds stays bounded however fast the chunks come.
   */
  offer (id: ObjectId, object: EncodedObject): Promise<void> | undefined {
    if (this.#failed) return
    const found = this.#window.get(id)
    if (found === undefined) return
    // a copy: taking a chunk moves the window, which changes the array it holds
    const positions = typeof found === 'number' ? [found] : [...found]
    let raw: Uint8Array | undefined
    const body = (): Uint8Array => (raw ??= decompress(object.encoding, object.bytes, object.rawLength, id))
    try {
      for (const at of positions) {
        if (at < this.#cursor || this.#ahead.has(at)) continue
        if (at === this.#cursor) {
          this.#take(body())
          continue
        }
        if (at >= this.#cursor + AHEAD_CHUNKS || this.budget.used + this.manifest.chunks.lengthAt(at) > this.budget.limit) continue
        // held past this call: a copy (a raw chunk's bytes are the swarm's, reused once it returns)
        this.#ahead.set(at, object.encoding === 0 ? copyOf(body()) : body())
        this.budget.used += this.manifest.chunks.lengthAt(at)
      }
    } catch {
      // a chunk that does not decode: the store took it, so this cannot be; the checkout finds out for itself
      this.#fail()
    }
    return this.#writes.length >= 2 ? this.#writes[this.#writes.length - 2] : undefined
  }

  /** Appends the cursor's chunk, then every one behind it that waits in memory. */
  #take (bytes: Uint8Array): void {
    for (let next: Uint8Array | undefined = bytes; next !== undefined; next = this.#ahead.get(this.#cursor)) {
      if (next !== bytes) {
        this.#ahead.delete(this.#cursor)
        this.budget.used -= next.length
      }
      if (next.length !== this.manifest.chunks.lengthAt(this.#cursor)) return this.#fail()
      this.#batch ??= this.#takeBatch()
      copyBytes(this.#batch, this.#batchBytes, next)
      this.#batchBytes += next.length
      this.#cursor++
      this.#advanceWindow(this.#cursor - 1)
      if (this.#batchBytes >= WRITE_BYTES) this.#writeBatch()
    }
  }

  #takeBatch (): Buffer {
    const aligned = batches.take()
    if (aligned !== undefined) return aligned
    this.#aligned = false
    return Buffer.allocUnsafeSlow(BATCH_BYTES)
  }

  #giveBatch (buffer: Buffer): void {
    batches.give(buffer)
  }

  #open (): Promise<FileHandle> {
    if (this.#handle === undefined) {
      this.#handle = openForWriting(this.fs, this.tmpPath, this.#aligned).then(({ handle, direct }) => {
        this.#direct = direct
        return handle
      })
      this.#handle.catch(() => {})
    }
    return this.#handle
  }

  /**
   * Writes the batch: all of it when `last`, otherwise its whole blocks, the partial block after
   * them carried into the next batch (O_DIRECT writes whole blocks; the file is opened on the
   * first write, so whether it is direct is not known yet here).
   */
  #writeBatch (last = false): void {
    const buffer = this.#batch!
    const length = last ? this.#batchBytes : blocksWithin(this.#batchBytes)
    const position = this.#written
    this.#written += length
    this.#batch = undefined
    this.#batchBytes -= length
    if (this.#batchBytes > 0) {
      this.#batch = this.#takeBatch()
      this.#batch.set(buffer.subarray(length, length + this.#batchBytes))
    }
    const handle = this.#open()
    // why one chain: writes land in order; a batch filling while one is written gets a spare (two or three in all)
    const write = this.#inFlight.then(async () => {
      const opened = await handle
      // a direct write of the last piece is padded to whole blocks; finish() truncates the file to its size
      await writeAll(opened, [buffer.subarray(0, this.#direct ? wholeBlocks(length) : length)], position)
      // written: the buffer may take the next batch
      this.#giveBatch(buffer)
      if (this.#direct) return
      this.#dropBehind ??= new DropBehind(opened.fd)
      this.#dropBehind.written(position + length)
    })
    this.#inFlight = write
    this.#writes.push(write.catch(() => this.#fail()).finally(() => { this.#writes.shift() }))
  }

  #fail (): void {
    this.#failed = true
    for (const bytes of this.#ahead.values()) this.budget.used -= bytes.length
    this.#ahead.clear()
    // the batch being filled is in no write
    if (this.#batch !== undefined) this.#giveBatch(this.#batch)
    this.#batch = undefined
    this.#batchBytes = 0
  }

  /**
   * Once the fetch is over and flushed: writes the chunks not written yet from the store, checks
   * size and a sample of chunks read back, and closes the file. True when the temporary file holds exactly the
   * manifest's content; false (the file removed) otherwise: the checkout then writes it the usual way.
   */
  async finish (store: ObjectStore): Promise<boolean> {
    for (const bytes of this.#ahead.values()) this.budget.used -= bytes.length
    this.#ahead.clear()
    try {
      if (!this.#failed && this.#cursor < this.manifest.chunks.count) {
        for await (const object of readChunksInOrder(store, chunkRefsFrom(this.manifest.chunks, this.#cursor))) {
          const chunk = { id: this.manifest.chunks.idAt(this.#cursor) }
          try {
            if (object.type !== 'chunk') { this.#fail(); break }
            this.#take(decompress(object.encoding, object.bytes, object.rawLength, chunk.id))
          } finally {
            object.release()
          }
          if (this.#failed) break
          if (this.#writes.length >= 2) await this.#writes[this.#writes.length - 2]
        }
      }
      if (!this.#failed && this.#batchBytes > 0) this.#writeBatch(true)
      await this.#inFlight.catch(() => this.#fail())
      let whole = !this.#failed && this.#cursor === this.manifest.chunks.count && this.#written === this.manifest.size
      if (this.#handle !== undefined || whole) {
        const handle = await this.#open()
        if (this.#direct) {
          // the padding of the last write goes; reads of a direct file must be aligned, so the sample is read through another handle
          if (whole) await handle.truncate(this.manifest.size)
          await handle.close()
          if (whole) {
            const reading = await this.fs.open(this.tmpPath, 'r')
            try {
              whole = await checkAssembledSample(reading, this.manifest)
            } finally {
              await reading.close()
            }
          }
        } else {
          whole &&= await checkAssembledSample(handle, this.manifest)
          await this.#dropBehind?.settle()
          await handle.close()
        }
      }
      if (!whole) await this.discard()
      return whole
    } catch {
      await this.discard()
      return false
    }
  }

  /** Removes the temporary file (a fetch that failed, or content nobody took). */
  async discard (): Promise<void> {
    this.#fail()
    if (this.#handle === undefined) return
    await this.#dropBehind?.settle()
    await this.#handle.then(async (h) => await h.close()).catch(() => {})
    await this.fs.rm(this.tmpPath, { force: true }).catch(() => {})
  }
}
