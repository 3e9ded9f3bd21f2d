import { createHash, type Hash } from 'node:crypto'
import { GasError, fromFsError } from '../errors.js'
import { chunkStream } from '../objects/chunker.js'
import { compressChunk, isPrecompressedFormat } from '../objects/compression.js'
import { ChunkListBuilder } from '../objects/file-manifest.js'
import type { FileSystem } from '../objects/fs.js'
import { hashObject, type ObjectId } from '../objects/id.js'
import { cutInParallel } from '../objects/parallel-chunker.js'
import { PARALLEL_THRESHOLD } from '../objects/parallel-threshold.js'
import type { FileStore } from '../pack/file-store.js'

/** Read size: large reads keep syscalls few; the chunker holds about one 8 MiB window. */
const READ_SIZE = 1024 * 1024

/**
 * After this many chunks in a row that did not compress, a file is taken as incompressible and
 * only every 16th chunk is tried again (media inside containers can change mid-file).
 */
const GIVE_UP_AFTER = 8

export interface IngestResult { fileId: ObjectId, size: number, sha256: string, chunks: number, newChunks: number }

/** Reads ahead one block so the disk read overlaps chunking and hashing of the previous one (small files). */
async function * readFile (fs: FileSystem, path: string, size: number, onBlock: (b: Buffer) => void): AsyncGenerator<Buffer> {
  const handle = await fs.open(path, 'r')
  let left = size
  const readBlock = async (): Promise<Buffer> => {
    // why sized to the file (one byte more, to see its end): a 1 MiB block for each of 200 000
    // small files was 200 GB of short-lived allocations, most of `gas add`'s time spent in GC
    const length = Math.min(READ_SIZE, Math.max(left, 0) + 1)
    const block = Buffer.allocUnsafe(length)
    const { bytesRead } = await handle.read(block, 0, length, null)
    left -= bytesRead
    return block.subarray(0, bytesRead)
  }
  let next = readBlock()
  try {
    for (;;) {
      const piece = await next
      if (piece.length === 0) return
      next = readBlock()
      onBlock(piece)
      yield piece
    }
  } finally {
    await next.catch(() => {})
    await handle.close()
  }
}

/**
 * Chunk ids and bytes of a file, in order. Large files are cut and hashed on the second core
 * (parallel-chunker.ts) while this thread hashes the whole file and stores; small ones here, where
 * starting a worker would cost more than it saves.
 */
async function * chunksOf (fs: FileSystem, path: string, size: number, whole: Hash): AsyncGenerator<{ id: ObjectId, bytes: Buffer }> {
  if (size < PARALLEL_THRESHOLD) {
    for await (const bytes of chunkStream(readFile(fs, path, size, (b) => whole.update(b)))) yield { id: hashObject('chunk', bytes), bytes }
    return
  }
  const handle = await fs.open(path, 'r')
  try {
    // at explicit positions: several reads are in flight at once (parallel-chunker.ts)
    const fill = async (into: Buffer, position: number): Promise<number> => {
      let filled = 0
      while (filled < into.length) {
        const { bytesRead } = await handle.read(into, filled, into.length - filled, position + filled)
        if (bytesRead === 0) break
        filled += bytesRead
      }
      return filled
    }
    yield * cutInParallel(fill, (bytes) => whole.update(bytes))
  } finally {
    await handle.close()
  }
}

/**
 * Chunks, hashes and stores one file, streaming: memory stays bounded whatever its size. Returns
 * the id of its `file` manifest (the manifest itself is written by the caller after the chunks
 * are durable, so no manifest ever points at a chunk a crash could lose).
 */
export async function ingestFile (fs: FileSystem, store: FileStore, path: string, format: string, onBytes?: (bytes: number, size: number) => void): Promise<IngestResult & { manifest: Uint8Array }> {
  let size: number
  try {
    const st = await fs.stat(path)
    if (!st.isFile()) throw GasError.badArgument(`${path} is not a regular file`, { path })
    size = st.size
  } catch (err) {
    throw fromFsError(err, path)
  }
  const whole = createHash('sha256')
  return await storeChunks(store, chunksOf(fs, path, size, whole), { path, size, format, whole, onBytes })
}

/**
 * Files up to this size are read whole in one call (`ingestBytes`). why: a workspace of 100 000
 * small files paid a stat, two opens and two 1 MiB read buffers per file (the buffers alone kept
 * the garbage collector busy for a third of `gas add`); a file this small is one chunk or a few.
 */
export const SMALL_FILE = 256 * 1024

async function * once (bytes: Buffer): AsyncGenerator<Buffer> {
  yield bytes
}

/**
 * As ingestFile, for the content of a file already read whole (a small one, or one read into a
 * reused buffer: whole-read.ts). The bytes are not kept past the returned promise (stored chunks
 * are copied into the pack), so the caller may reuse the buffer then.
 */
export async function ingestBytes (store: FileStore, path: string, content: Buffer, format: string, onBytes?: (bytes: number, size: number) => void): Promise<IngestResult & { manifest: Uint8Array }> {
  const whole = createHash('sha256').update(content)
  const chunks = async function * (): AsyncGenerator<{ id: ObjectId, bytes: Buffer }> {
    for await (const bytes of chunkStream(once(content))) yield { id: hashObject('chunk', bytes), bytes }
  }
  return await storeChunks(store, chunks(), { path, size: content.length, format, whole, onBytes })
}

async function storeChunks (store: FileStore, source: AsyncIterable<{ id: ObjectId, bytes: Buffer }>, file: { path: string, size: number, format: string, whole: Hash, onBytes?: (bytes: number, size: number) => void }): Promise<IngestResult & { manifest: Uint8Array }> {
  const { path, size, format } = file
  const chunks = new ChunkListBuilder()
  let newChunks = 0
  let total = 0
  let tryCompress = !isPrecompressedFormat(format)
  let misses = 0
  try {
    for await (const { id, bytes: chunk } of source) {
      chunks.push(id, chunk.length)
      total += chunk.length
      file.onBytes?.(total, size)
      if (store.hasPacked(id)) continue
      let encoded = { encoding: 0 as 0 | 1, bytes: chunk as Uint8Array }
      if (tryCompress || (misses > 0 && chunks.count % 16 === 0)) {
        encoded = compressChunk(chunk)
        misses = encoded.encoding === 0 ? misses + 1 : 0
        if (misses >= GIVE_UP_AFTER) tryCompress = false
        else if (encoded.encoding === 1 && !isPrecompressedFormat(format)) tryCompress = true
      }
      await store.putTrusted(id, { type: 'chunk', encoding: encoded.encoding, rawLength: chunk.length, bytes: encoded.bytes })
      newChunks++
    }
  } catch (err) {
    throw fromFsError(err, path)
  }
  const sha256 = file.whole.digest('hex')
  if (total !== size) throw new GasError('E_IO', `${path} changed while it was being added (${size} → ${total} bytes); add it again`, { path })
  const manifest = chunks.encode(total, sha256)
  return { fileId: hashObject('file', manifest), manifest, size: total, sha256, chunks: chunks.count, newChunks }
}
