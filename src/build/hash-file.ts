import { createHash } from 'node:crypto'
import { fromFsError } from '../errors.js'
import type { FileSystem } from '../objects/fs.js'

/** why: 4 MiB reads keep syscalls few; two buffers let the next read run while this one is hashed */
const READ_SIZE = 4 * 1024 * 1024

/** Plain SHA-256 and size of a file, streamed: memory stays at two read buffers whatever its size. */
export async function hashFile (fs: FileSystem, path: string): Promise<{ sha256: string, size: number }> {
  const hash = createHash('sha256')
  let size = 0
  try {
    const handle = await fs.open(path, 'r')
    try {
      const buffers = [Buffer.allocUnsafe(READ_SIZE), Buffer.allocUnsafe(READ_SIZE)]
      let turn = 0
      let pending = handle.read(buffers[turn], 0, READ_SIZE, null)
      for (;;) {
        const { bytesRead } = await pending
        if (bytesRead === 0) break
        const current = buffers[turn]
        turn ^= 1
        pending = handle.read(buffers[turn], 0, READ_SIZE, null)
        hash.update(current.subarray(0, bytesRead))
        size += bytesRead
      }
    } finally {
      await handle.close()
    }
  } catch (err) {
    throw fromFsError(err, path)
  }
  return { sha256: hash.digest('hex'), size }
}
