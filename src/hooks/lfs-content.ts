import { createHash, randomBytes } from 'node:crypto'
import { dirname } from 'node:path'
import { GasError, fromFsError } from '../errors.js'
import { decompress } from '../objects/compression.js'
import type { FileManifest } from '../objects/file-manifest.js'
import type { FileSystem } from '../objects/fs.js'
import type { EncodedObject, ObjectStore } from '../objects/store.js'

/** why: keeps the disk busy while chunks are read from the packs; 32 × ≤ 256 KiB bounds memory to 8 MiB */
const READ_AHEAD = 32
/** why: one write per 8 MiB instead of one per 64 KiB chunk: a 1 GiB object is 128 writes, not 16 000 */
const WRITE_BYTES = 8 * 1024 * 1024

/**
 * Writes an LFS object's content to `out` (temporary name, renamed into place once verified),
 * streaming with read-ahead and large writes: git-lfs waits for this file before it moves on, so
 * its speed is the download's. Chunks are not hashed one by one as `store.get` would: the whole
 * content's SHA-256 is the LFS oid and is checked before the rename, which covers every byte.
 */
export async function writeLfsContent (fs: FileSystem, store: ObjectStore, manifest: FileManifest, out: string): Promise<void> {
  const tmp = `${out}.gas-tmp-${randomBytes(6).toString('hex')}`
  const hash = createHash('sha256')
  const { chunks } = manifest
  const reads: Array<Promise<EncodedObject | undefined>> = []
  const readAt = (i: number): void => { if (i < chunks.length) reads[i] = store.getEncoded(chunks[i].id) }
  try {
    await fs.mkdir(dirname(out), { recursive: true })
    const handle = await fs.open(tmp, 'wx')
    try {
      for (let i = 0; i < READ_AHEAD; i++) readAt(i)
      const buffer = Buffer.allocUnsafe(WRITE_BYTES)
      let filled = 0
      let position = 0
      for (let i = 0; i < chunks.length; i++) {
        const encoded = await reads[i]
        delete reads[i]
        readAt(i + READ_AHEAD)
        const chunk = chunks[i]
        if (encoded === undefined) throw GasError.notFound(`chunk ${chunk.id}`, { id: chunk.id })
        if (encoded.type !== 'chunk' || encoded.rawLength !== chunk.length) throw GasError.corruptObject(chunk.id, 'chunk length differs from the manifest')
        const body = decompress(encoded.encoding, encoded.bytes, encoded.rawLength, chunk.id)
        hash.update(body)
        if (filled + body.length > WRITE_BYTES) {
          await handle.write(buffer, 0, filled, position)
          position += filled
          filled = 0
        }
        if (body.length > WRITE_BYTES) {
          await handle.write(body, 0, body.length, position)
          position += body.length
        } else {
          buffer.set(body, filled)
          filled += body.length
        }
      }
      if (filled > 0) await handle.write(buffer, 0, filled, position)
    } finally {
      await Promise.allSettled(reads.filter((r) => r !== undefined))
      await handle.close()
    }
    if (hash.digest('hex') !== manifest.sha256) throw new GasError('E_CORRUPT_OBJECT', `the content written to ${out} does not match its SHA-256 ${manifest.sha256}; run \`gas fsck\``)
    await fs.rename(tmp, out)
  } catch (err) {
    await fs.rm(tmp, { force: true }).catch(() => {})
    throw fromFsError(err, out)
  }
}
