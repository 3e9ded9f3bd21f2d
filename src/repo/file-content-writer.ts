import type { FileHandle } from 'node:fs/promises'
import { dirname } from 'node:path'
import { GasError, fromFsError } from '../errors.js'
import { writeStreamAtomic } from '../objects/atomic-write.js'
import { decompress } from '../objects/compression.js'
import type { ChunkRef } from '../objects/file-manifest.js'
import { realFs, type FileSystem } from '../objects/fs.js'
import { hashObject } from '../objects/id.js'
import { isCopyRefused, nativeRangedCopy, type RangedCopy } from '../objects/ranged-copy.js'
import type { ObjectStore } from '../objects/store.js'
import { readChunksInOrder } from '../pack/chunk-runs.js'
import { writeAll } from '../objects/write-all.js'
import { WriteSlabs } from './write-slabs.js'
import { WRITTEN, isNativeRestorable, manifestEntries, restoreNatively } from './native-restore.js'

/** why: one write(2) per 8 MiB, not per 64 KiB chunk: chunks stored raw are handed to writev as they are, uncopied; decoded ones are copied into a slab (write-slabs.ts) */
const WRITE_BYTES = 8 * 1024 * 1024
/** why: a second write in flight lets the next run be hashed while the disk takes the last one */
const WRITES_IN_FLIGHT = 2

/**
 * Writes a file's content from its chunks, streaming, to a temporary name beside `out`; renames it
 * into place only once every chunk is verified and the size matches, so a failed or killed restore
 * never clobbers a file nor leaves a partial one under its name.
 *
 * Runs of chunks are read with large reads (chunk-runs.ts) and written with large writes, reading
 * ahead and writing behind. Each chunk is verified: against the crc32 its pack's index recorded
 * when the entry was stored after being checked against its id (entry-checksum.ts), or, without
 * one (older packs, loose objects), by hashing it against its id. why not the whole-file SHA-256:
 * that pass alone took ~0.57 s per GiB, twice what `cp` takes to copy the file; the manifest (itself
 * verified by its id) names exactly these chunks, and ingest computed its SHA-256 over them.
 *
 * Chunks stored raw whose entry matched its crc32 are not written from user space: `copier` (the
 * native copy_file_range, ranged-copy.ts; by default when `fs` is the real file system and the
 * addon is built) copies them from the pack inside the kernel, one call per batch, while the next
 * runs are read and checked. why check the pack's bytes before the copy rather than the written
 * file's after it: the run must be read anyway to learn which entries are stored raw (their
 * headers), so checking it costs the crc32 alone; a check of the written ranges costs a second
 * read of the file on top (measured: reading back 1 GiB and its crc32 took 0.13–0.16 CPU s more).
 * `null`: the portable path (tests, GAS_NATIVE_COPY=0).
 */
export async function writeFileContent (fs: FileSystem, store: ObjectStore, manifest: ContentManifest, out: string, onProgress?: (bytes: number, total: number) => void, copier: RangedCopy | null = fs === realFs ? nativeRangedCopy() ?? null : null): Promise<void> {
  // the first folder mkdir made, if any: removed again when the content cannot be written (a path whose chunks this peer lacks leaves no empty folder)
  const madeFolder = await fs.mkdir(dirname(out), { recursive: true }).catch((err) => { throw fromFsError(err, out) })
  try {
    await writeContent(fs, store, manifest, out, onProgress, copier ?? undefined)
  } catch (err) {
    if (madeFolder !== undefined) await removeEmptyFolders(fs, dirname(out), madeFolder)
    throw err
  }
}

/** Removes `folder` and its parents up to `top` while they are empty (rmdir refuses a folder with something in it). */
async function removeEmptyFolders (fs: FileSystem, folder: string, top: string): Promise<void> {
  for (let dir = folder; dir.length >= top.length; dir = dirname(dir)) {
    if (!await fs.rmdir(dir).then(() => true, () => false) || dir === top) return
  }
}

/** One piece of the output: bytes to write at `at`, or, with `from`, the same bytes to copy from their pack inside the kernel */
interface Piece { bytes: Uint8Array, at: number, from?: { fd: number, offset: number } }

async function writeContent (fs: FileSystem, store: ObjectStore, manifest: ContentManifest, out: string, onProgress: ((bytes: number, total: number) => void) | undefined, copier: RangedCopy | undefined): Promise<void> {
  await writeStreamAtomic(fs, out, async (handle) => {
    const restoreChunks = copier?.restoreChunks
    if (restoreChunks !== undefined && isNativeRestorable(store)) {
      // the native loop writes what its packs' crc32s vouch for; the chunks it left (compressed, loose, damaged) are written here, at their places
      const { status, entries, written } = await restoreNatively({ restoreChunks, locateChunks: copier?.locateChunks, allocate: copier?.allocate }, store, manifest, handle, out, onProgress)
      if (written < manifest.size) await writeChunks(store, leftChunks(entries, status), handle, out, written, manifest.size, onProgress, undefined)
      return
    }
    await writeChunks(store, placed(manifest.chunks), handle, out, 0, manifest.size, onProgress, copier === undefined ? undefined : new KernelCopy(copier, handle, out))
  })
}

type ContentManifest = { size: number, chunks: Iterable<ChunkRef> } & Parameters<typeof manifestEntries>[0]
type PlacedChunk = ChunkRef & { at: number }

function * placed (chunks: Iterable<ChunkRef>): Generator<PlacedChunk> {
  let at = 0
  for (const chunk of chunks) {
    yield { id: chunk.id, length: chunk.length, at }
    at += chunk.length
  }
}

/** The chunks the native loop left, from the manifest's entries (why not its ChunkRefs: a hex id for each of ~16 000 chunks per GiB cost ~80 ms when none is left) */
function * leftChunks (entries: Buffer, status: Uint8Array): Generator<PlacedChunk> {
  let at = 0
  for (let i = 0; i < status.length; i++) {
    const length = entries.readUInt32BE(i * 36 + 32)
    if (status[i] !== WRITTEN) yield { id: entries.toString('hex', i * 36, i * 36 + 32), length, at }
    at += length
  }
}

/**
 * Writes `chunks` at their places, `base` bytes of the file being written already: each read with
 * its run (chunk-runs.ts), verified, decoded, and written in batches (or copied by `kernelCopy`).
 */
async function writeChunks (store: ObjectStore, chunks: Iterable<PlacedChunk>, handle: FileHandle, out: string, base: number, size: number, onProgress: ((bytes: number, total: number) => void) | undefined, kernelCopy: KernelCopy | undefined): Promise<void> {
  const writes: Array<Promise<void>> = []
  let position = base
  let batch: Piece[] = []
  let released: Array<() => void> = []
  let batchBytes = 0
  let batchFd: number | undefined
  // why a queue: readChunksInOrder takes the chunks ahead of what it yields, in the same order
  const places: number[] = []
  const source = function * (): Generator<ChunkRef> {
    for (const chunk of chunks) {
      places.push(chunk.at)
      yield chunk
    }
  }
  // a decoded chunk is at most CHUNK_MAX; one that does not fit the batch's slab is kept as decoded
  const slabs = new WriteSlabs(WRITE_BYTES + 512 * 1024)
  const writeBatch = async (): Promise<void> => {
    released.push(slabs.seal())
    const done = released
    const pieces = batch
    const direct = pieces.filter((p) => p.from === undefined)
    const copied = pieces.filter((p) => p.from !== undefined)
    const write = Promise.all([
      direct.length > 0 ? writePieces(handle, direct) : undefined,
      copied.length > 0 ? kernelCopy!.copy(copied) : undefined
    ]).then(() => { for (const release of done) release() })
    write.catch(() => {}) // awaited below; until then not unhandled
    writes.push(write)
    position += batchBytes
    onProgress?.(position, size)
    batch = []
    released = []
    batchBytes = 0
    batchFd = undefined
    if (writes.length >= WRITES_IN_FLIGHT) await writes.shift()
  }
  try {
    for await (const object of readChunksInOrder(store, source())) {
      const at = places.shift()!
      if (object.type !== 'chunk') throw GasError.corruptObject(object.id, `is a ${object.type}, not a chunk`)
      let body = decompress(object.encoding, object.bytes, object.rawLength, object.id)
      // the store reads an unverified copy again and names the damage (E_CORRUPT_OBJECT), or finds a good copy another process stored since
      if (!object.verified && hashObject('chunk', body) !== object.id) body = (await store.get(object.id)).body
      if (body.length !== object.length) throw GasError.corruptObject(object.id, 'chunk length differs from the manifest')
      // stored raw and its entry checked against its crc32 just now: the kernel copies it from the pack (one copy per batch, ranged-copy.c)
      const from = kernelCopy?.usable === true && object.verified && body === object.bytes ? object.stored : undefined
      // one copy call per batch reads one pack
      if (from !== undefined && batchFd !== undefined && from.fd !== batchFd) await writeBatch()
      if (from !== undefined) batchFd = from.fd
      // a chunk stored raw is a view of its run's read buffer (given back by release); a decoded one is copied
      batch.push({ bytes: body === object.bytes ? body : slabs.copy(body) ?? body, at, from })
      released.push(object.release)
      batchBytes += body.length
      if (batchBytes >= WRITE_BYTES) await writeBatch()
    }
    if (batchBytes > 0) await writeBatch()
    while (writes.length > 0) await writes.shift()
  } finally {
    await Promise.allSettled(writes)
  }
  if (position !== size) throw new GasError('E_CORRUPT_OBJECT', `the chunks of ${out} add up to ${position} bytes, its manifest says ${size}`)
}

/** Writes pieces with as few writev calls as their positions allow (adjacent pieces go in one). */
async function writePieces (handle: FileHandle, pieces: Piece[]): Promise<void> {
  for (let i = 0; i < pieces.length;) {
    const at = pieces[i].at
    const buffers: Uint8Array[] = []
    let end = at
    for (; i < pieces.length && pieces[i].at === end; i++) {
      buffers.push(pieces[i].bytes)
      end += pieces[i].bytes.length
    }
    await writeAll(handle, buffers, at)
  }
}

/**
 * The kernel copies of one file, one call at a time: two copy_file_range calls into the same file
 * only contend for its inode lock (measured: two threads copied no faster, with 1.7x the CPU).
 * When the kernel or filesystem refuses (EXDEV: the store and the file on different filesystems;
 * ENOSYS, EOPNOTSUPP, EINVAL), the pieces are written from the bytes already read and checked,
 * and the rest of the file is written so too: the same result.
 */
class KernelCopy {
  usable = true
  #last: Promise<void> = Promise.resolve()

  constructor (private readonly copier: RangedCopy, private readonly handle: FileHandle, private readonly out: string) {}

  async copy (pieces: Piece[]): Promise<void> {
    const ranges = new Float64Array(pieces.length * 3)
    pieces.forEach((p, i) => ranges.set([p.from!.offset, p.at, p.bytes.length], i * 3))
    const run = async (): Promise<void> => {
      try {
        if (this.usable) {
          await this.copier.copyRanges(pieces[0].from!.fd, this.handle.fd, ranges)
          return
        }
      } catch (err) {
        if (!isCopyRefused(err)) throw fromFsError(err, this.out)
        this.usable = false
      }
      await writePieces(this.handle, pieces)
    }
    const copied = this.#last.then(run)
    this.#last = copied.catch(() => {})
    await copied
  }
}
