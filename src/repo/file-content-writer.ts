import type { FileHandle } from 'node:fs/promises'
import { dirname } from 'node:path'
import { GasError, fromFsError } from '../errors.js'
import { writeStreamAtomic } from '../objects/atomic-write.js'
import { decompress } from '../objects/compression.js'
import type { ChunkRef } from '../objects/file-manifest.js'
import { realFs, type FileSystem } from '../objects/fs.js'
import { hashObject } from '../objects/id.js'
import { nativeAddon, type NativeRestore } from '../objects/native-addon.js'
import type { ObjectStore } from '../objects/store.js'
import { readChunksInOrder } from '../pack/chunk-runs.js'
import { writeAll } from '../objects/write-all.js'
import { WriteSlabs } from './write-slabs.js'
import { FileStore } from '../pack/file-store.js'
import { WRITTEN, manifestEntries, restoreNatively } from './native-restore.js'

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
 * With `native` (the addon's restoreChunks, native-addon.ts; by default when `fs` is the real file
 * system and the addon is built) the whole loop runs in C (native-restore.ts): large pack reads,
 * each chunk stored raw checked against its crc32, written with pwritev, two parts of the file at
 * once; what it leaves (compressed, loose, or damaged chunks) is written here after it. why not
 * copy_file_range per chunk (sessions 9–10): 0.45 CPU s per GiB against 0.28 for large reads and
 * writes, and the per-chunk JavaScript around it cost more than the copy.
 * `null`: the portable path (tests, GAS_NATIVE_COPY=0).
 */
export async function writeFileContent (fs: FileSystem, store: ObjectStore, manifest: ContentManifest, out: string, onProgress?: (bytes: number, total: number) => void, native: NativeRestore | null = fs === realFs ? nativeAddon() ?? null : null): Promise<void> {
  // the first folder mkdir made, if any: removed again when the content cannot be written (a path whose chunks this peer lacks leaves no empty folder)
  const madeFolder = await fs.mkdir(dirname(out), { recursive: true }).catch((err) => { throw fromFsError(err, out) })
  try {
    await writeContent(fs, store, manifest, out, onProgress, native ?? undefined)
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

/** One piece of the output: bytes to write at `at` */
interface Piece { bytes: Uint8Array, at: number }

async function writeContent (fs: FileSystem, store: ObjectStore, manifest: ContentManifest, out: string, onProgress: ((bytes: number, total: number) => void) | undefined, native: NativeRestore | undefined): Promise<void> {
  await writeStreamAtomic(fs, out, async (handle) => {
    if (native !== undefined && store instanceof FileStore) {
      // the native loop writes what its packs' crc32s vouch for; the chunks it left (compressed, loose, damaged) are written here, at their places
      const { status, entries, written } = await restoreNatively(native, store, manifest, handle, out, onProgress)
      if (written < manifest.size) await writeChunks(store, leftChunks(entries, status), handle, out, written, manifest.size, onProgress)
      return
    }
    await writeChunks(store, placed(manifest.chunks), handle, out, 0, manifest.size, onProgress)
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
 * its run (chunk-runs.ts), verified, decoded, and written in batches.
 */
async function writeChunks (store: ObjectStore, chunks: Iterable<PlacedChunk>, handle: FileHandle, out: string, base: number, size: number, onProgress: ((bytes: number, total: number) => void) | undefined): Promise<void> {
  const writes: Array<Promise<void>> = []
  let position = base
  let batch: Piece[] = []
  let released: Array<() => void> = []
  let batchBytes = 0
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
    const write = writePieces(handle, batch).then(() => { for (const release of done) release() })
    write.catch(() => {}) // awaited below; until then not unhandled
    writes.push(write)
    position += batchBytes
    onProgress?.(position, size)
    batch = []
    released = []
    batchBytes = 0
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
      // a chunk stored raw is a view of its run's read buffer (given back by release); a decoded one is copied
      batch.push({ bytes: body === object.bytes ? body : slabs.copy(body) ?? body, at })
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
