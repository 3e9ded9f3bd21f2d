import { createHash, randomBytes, type Hash } from 'node:crypto'
import type { FileHandle } from 'node:fs/promises'
import { dirname } from 'node:path'
import { GasError, fromFsError } from '../errors.js'
import { decompress } from '../objects/compression.js'
import type { FileManifest } from '../objects/file-manifest.js'
import type { FileSystem } from '../objects/fs.js'
import type { ObjectId } from '../objects/id.js'
import type { EncodedObject, ObjectStore } from '../objects/store.js'

/** why: keeps the disk busy while chunks are read from the packs; 32 × ≤ 256 KiB bounds memory to 8 MiB */
const READ_AHEAD = 32
/** why: one write per 8 MiB instead of one per 64 KiB chunk: a 1 GiB object is 128 writes, not 16 000 */
const WRITE_BYTES = 8 * 1024 * 1024

/**
 * The file git-lfs expects for an LFS object, assembled under a temporary name and renamed into
 * place once its SHA-256 is the oid. Chunks are placed as they come: from the store (`fillFromStore`)
 * or as the peers deliver them (`receive`, during the fetch), so a download writes the file while
 * it fetches instead of reading every chunk back from the packs afterwards. Chunks that arrive in
 * order are gathered into large writes and hashed from memory, so the content is written once and
 * hashed once; one that arrives ahead of its turn is hashed later by reading it back (page cache).
 * Chunks are not hashed one by one here: the store verified each, and the whole content's SHA-256
 * (the oid) covers every byte before the rename.
 */
export class LfsAssembly {
  readonly #fs: FileSystem
  readonly #store: ObjectStore
  readonly #manifest: FileManifest
  readonly #out: string
  readonly #tmp: string
  readonly #handle: FileHandle
  /** byte offset of each chunk */
  readonly #offsets: number[]
  /** chunk indexes of each id (a file may hold the same chunk more than once) */
  readonly #indexes = new Map<ObjectId, number[]>()
  /** chunks placed: written, or gathered for the next write */
  readonly #placed: Uint8Array
  /** chunks written to the file */
  readonly #written: Uint8Array
  /** chunks not placed yet */
  #left: number
  readonly #hash: Hash = createHash('sha256')
  /** next chunk index to hash: everything before it is hashed */
  #hashed = 0
  /** in-order chunks gathered for one large write: indexes [#pendingFirst, #pendingFirst + #pendingCount) */
  readonly #pending = Buffer.allocUnsafe(WRITE_BYTES)
  #pendingFirst = 0
  #pendingCount = 0
  #pendingBytes = 0
  #bytesWritten = 0
  readonly #onProgress: ((bytesSoFar: number) => void) | undefined

  private constructor (fs: FileSystem, store: ObjectStore, manifest: FileManifest, out: string, tmp: string, handle: FileHandle, onProgress?: (bytesSoFar: number) => void) {
    this.#fs = fs
    this.#store = store
    this.#manifest = manifest
    this.#out = out
    this.#tmp = tmp
    this.#handle = handle
    this.#onProgress = onProgress
    this.#offsets = new Array<number>(manifest.chunks.length)
    let offset = 0
    manifest.chunks.forEach((chunk, i) => {
      this.#offsets[i] = offset
      offset += chunk.length
      const at = this.#indexes.get(chunk.id)
      if (at === undefined) this.#indexes.set(chunk.id, [i])
      else at.push(i)
    })
    this.#placed = new Uint8Array(manifest.chunks.length)
    this.#written = new Uint8Array(manifest.chunks.length)
    this.#left = manifest.chunks.length
  }

  /** Opens `out`'s temporary file (a unique name beside it). */
  static async start (opts: { fs: FileSystem, store: ObjectStore, manifest: FileManifest, out: string, onProgress?: (bytesSoFar: number) => void }): Promise<LfsAssembly> {
    const tmp = `${opts.out}.gas-tmp-${randomBytes(6).toString('hex')}`
    try {
      await opts.fs.mkdir(dirname(opts.out), { recursive: true })
      // read back too: a chunk that arrived ahead of its turn is hashed from the file
      const handle = await opts.fs.open(tmp, 'wx+')
      return new LfsAssembly(opts.fs, opts.store, opts.manifest, opts.out, tmp, handle, opts.onProgress)
    } catch (err) {
      throw fromFsError(err, opts.out)
    }
  }

  /** where the file is once complete */
  get path (): string { return this.#out }

  /** chunks of the manifest not placed yet, once each */
  get missing (): ObjectId[] {
    return [...new Set(this.#manifest.chunks.filter((_, i) => this.#placed[i] === 0).map((c) => c.id))]
  }

  /** Places every chunk not placed yet that the store holds, in order, reading ahead. */
  async fillFromStore (): Promise<void> {
    const todo = this.#manifest.chunks.map((_, i) => i).filter((i) => this.#placed[i] === 0)
    const reads: Array<Promise<EncodedObject | undefined>> = []
    const readAt = (k: number): void => { if (k < todo.length) reads[k] = this.#store.getEncoded(this.#manifest.chunks[todo[k]].id) }
    try {
      for (let k = 0; k < READ_AHEAD; k++) readAt(k)
      for (let k = 0; k < todo.length; k++) {
        const encoded = await reads[k]
        delete reads[k]
        readAt(k + READ_AHEAD)
        // placed meanwhile as a duplicate of an earlier index
        if (encoded === undefined || this.#placed[todo[k]] === 1) continue
        await this.#place(todo[k], this.#decode(this.#manifest.chunks[todo[k]].id, encoded))
      }
    } finally {
      await Promise.allSettled(reads.filter((r) => r !== undefined))
    }
  }

  /** A chunk the store just verified and stored: placed at each of its offsets. */
  async receive (id: ObjectId, encoded: EncodedObject): Promise<void> {
    const at = this.#indexes.get(id)
    if (at === undefined || encoded.type !== 'chunk') return
    const body = this.#decode(id, encoded)
    for (const i of at) if (this.#placed[i] === 0) await this.#place(i, body)
  }

  /**
   * Flushes, checks every chunk is placed and the SHA-256 is the manifest's, and renames the file
   * into place; returns false (the temporary file stays, for `discard`) while chunks are missing.
   */
  async complete (): Promise<boolean> {
    await this.#flush()
    if (this.#left > 0) return false
    await this.#catchUp()
    await this.#handle.close()
    if (this.#hash.digest('hex') !== this.#manifest.sha256) {
      await this.discard()
      throw new GasError('E_CORRUPT_OBJECT', `the content written to ${this.#out} does not match its SHA-256 ${this.#manifest.sha256}; run \`gas fsck\``)
    }
    try {
      await this.#fs.rename(this.#tmp, this.#out)
    } catch (err) {
      await this.discard()
      throw fromFsError(err, this.#out)
    }
    return true
  }

  /** Removes the temporary file (a failed or abandoned download). */
  async discard (): Promise<void> {
    await this.#handle.close().catch(() => {})
    await this.#fs.rm(this.#tmp, { force: true }).catch(() => {})
  }

  #decode (id: ObjectId, encoded: EncodedObject): Uint8Array {
    const i = this.#indexes.get(id)?.[0] ?? -1
    const length = this.#manifest.chunks[i]?.length
    if (encoded.type !== 'chunk' || encoded.rawLength !== length) throw GasError.corruptObject(id, 'chunk length differs from the manifest')
    return decompress(encoded.encoding, encoded.bytes, encoded.rawLength, id)
  }

  async #place (i: number, body: Uint8Array): Promise<void> {
    this.#placed[i] = 1
    this.#left--
    const follows = this.#pendingCount > 0 && i === this.#pendingFirst + this.#pendingCount
    if (!follows || this.#pendingBytes + body.length > WRITE_BYTES) await this.#flush()
    if (body.length > WRITE_BYTES) {
      // never for gas's chunks (≤ 256 KiB); a foreign manifest may have larger ones
      await this.#write(i, 1, body)
      return
    }
    if (this.#pendingCount === 0) this.#pendingFirst = i
    this.#pending.set(body, this.#pendingBytes)
    this.#pendingBytes += body.length
    this.#pendingCount++
  }

  async #flush (): Promise<void> {
    if (this.#pendingCount === 0) return
    const [first, count, bytes] = [this.#pendingFirst, this.#pendingCount, this.#pendingBytes]
    this.#pendingCount = 0
    this.#pendingBytes = 0
    await this.#write(first, count, this.#pending.subarray(0, bytes))
  }

  /** Writes chunks [first, first + count), contiguous in `bytes`, and hashes them if it is their turn. */
  async #write (first: number, count: number, bytes: Uint8Array): Promise<void> {
    try {
      await this.#handle.write(bytes, 0, bytes.length, this.#offsets[first])
    } catch (err) {
      throw fromFsError(err, this.#out)
    }
    this.#written.fill(1, first, first + count)
    if (this.#hashed === first) {
      this.#hash.update(bytes)
      this.#hashed = first + count
    }
    this.#bytesWritten += bytes.length
    this.#onProgress?.(this.#bytesWritten)
    await this.#catchUp()
  }

  /** Hashes chunks written ahead of their turn once their turn has come, reading them back. */
  async #catchUp (): Promise<void> {
    const { chunks } = this.#manifest
    while (this.#hashed < chunks.length && this.#written[this.#hashed] === 1) {
      let end = this.#hashed
      let bytes = 0
      while (end < chunks.length && this.#written[end] === 1 && (end === this.#hashed || bytes + chunks[end].length <= WRITE_BYTES)) bytes += chunks[end++].length
      const buffer = Buffer.allocUnsafe(bytes)
      const { bytesRead } = await this.#handle.read(buffer, 0, bytes, this.#offsets[this.#hashed]).catch((err: unknown) => { throw fromFsError(err, this.#out) })
      if (bytesRead !== bytes) throw new GasError('E_IO', `${this.#tmp} was shortened while it was written`)
      this.#hash.update(buffer)
      this.#hashed = end
    }
  }
}

/** Writes an LFS object whose chunks are all in the store to `out`, verified against its SHA-256. */
export async function writeLfsContent (fs: FileSystem, store: ObjectStore, manifest: FileManifest, out: string): Promise<void> {
  const assembly = await LfsAssembly.start({ fs, store, manifest, out })
  try {
    await assembly.fillFromStore()
    if (!(await assembly.complete())) throw GasError.notFound(`chunk ${assembly.missing[0]}`, { id: assembly.missing[0] })
  } catch (err) {
    await assembly.discard()
    throw err
  }
}
