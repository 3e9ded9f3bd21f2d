import { createHash } from 'node:crypto'
import type { FileHandle } from 'node:fs/promises'
import { dirname } from 'node:path'
import { GasError, fromFsError } from '../errors.js'
import { writeStreamAtomic } from '../objects/atomic-write.js'
import { decompress } from '../objects/compression.js'
import type { FileManifest } from '../objects/file-manifest.js'
import type { FileSystem } from '../objects/fs.js'
import type { ObjectStore } from '../objects/store.js'
import { readChunksInOrder } from '../pack/chunk-runs.js'

/** why: one write(2) per 8 MiB, not per 64 KiB chunk: the chunks are handed to writev as they are, uncopied */
const WRITE_BYTES = 8 * 1024 * 1024
/** why: a second write in flight lets the next run be hashed while the disk takes the last one */
const WRITES_IN_FLIGHT = 2

/**
 * Writes a file's content from its chunks, streaming, to a temporary name beside `out`; renames it
 * into place only once size and whole-file SHA-256 match, so a failed or killed restore never
 * clobbers a file nor leaves a partial one under its name.
 *
 * Runs of chunks are read with large reads (chunk-runs.ts), hashed once, and written with large
 * writes, reading ahead and writing behind while the main thread hashes. The whole-file SHA-256
 * (the manifest, itself verified by its id, names it) covers every byte before the rename, so
 * chunks are not hashed a second time each; only when it differs is every chunk checked, to name
 * the damaged one.
 */
export async function writeFileContent (fs: FileSystem, store: ObjectStore, manifest: FileManifest, out: string, onProgress?: (bytes: number, total: number) => void): Promise<void> {
  await fs.mkdir(dirname(out), { recursive: true }).catch((err) => { throw fromFsError(err, out) })
  await writeStreamAtomic(fs, out, async (handle) => {
    const hash = createHash('sha256')
    const writes: Array<Promise<void>> = []
    let position = 0
    let batch: Uint8Array[] = []
    let released: Array<() => void> = []
    let batchBytes = 0
    const writeBatch = async (): Promise<void> => {
      const done = released
      const write = writeAll(handle, batch, position).then(() => { for (const release of done) release() })
      write.catch(() => {}) // awaited below; until then not unhandled
      writes.push(write)
      position += batchBytes
      onProgress?.(position, manifest.size)
      batch = []
      released = []
      batchBytes = 0
      if (writes.length >= WRITES_IN_FLIGHT) await writes.shift()
    }
    try {
      let i = 0
      for await (const object of readChunksInOrder(store, manifest.chunks)) {
        const chunk = manifest.chunks[i++]
        if (object.type !== 'chunk') throw GasError.corruptObject(chunk.id, `is a ${object.type}, not a chunk`)
        const body = decompress(object.encoding, object.bytes, object.rawLength, chunk.id)
        if (body.length !== chunk.length) throw GasError.corruptObject(chunk.id, 'chunk length differs from the manifest')
        hash.update(body)
        batch.push(body)
        released.push(object.release)
        batchBytes += body.length
        if (batchBytes >= WRITE_BYTES) await writeBatch()
      }
      if (batchBytes > 0) await writeBatch()
      while (writes.length > 0) await writes.shift()
    } finally {
      await Promise.allSettled(writes)
    }
    if (hash.digest('hex') !== manifest.sha256) {
      await nameDamagedChunk(store, manifest)
      throw new GasError('E_CORRUPT_OBJECT', `restored content of ${out} does not match its SHA-256; run \`gas fsck\``)
    }
  })
}

/** Writes every byte of `buffers` at `position` (writev may write less than asked). */
export async function writeAll (handle: FileHandle, buffers: Uint8Array[], position: number): Promise<void> {
  let rest = buffers
  while (rest.length > 0) {
    let { bytesWritten } = await handle.writev(rest, position)
    if (bytesWritten === 0) throw new GasError('E_DISK_FULL', 'the disk took no more bytes')
    position += bytesWritten
    const left: Uint8Array[] = []
    for (const b of rest) {
      if (bytesWritten >= b.length) { bytesWritten -= b.length; continue }
      left.push(bytesWritten > 0 ? b.subarray(bytesWritten) : b)
      bytesWritten = 0
    }
    rest = left
  }
}

/** Reads every chunk through the store, which verifies each against its id: throws E_CORRUPT_OBJECT naming the first damaged one. */
async function nameDamagedChunk (store: ObjectStore, manifest: FileManifest): Promise<void> {
  for (const chunk of manifest.chunks) await store.get(chunk.id)
}
