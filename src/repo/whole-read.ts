import { GasError, fromFsError } from '../errors.js'
import type { FileSystem } from '../objects/fs.js'

/**
 * Files up to this size that the read-ahead left to stream (over SMALL_FILE) are read whole at
 * their turn into one reused buffer. why: each such file cost a stat, two opens (a sniff, then the
 * chunker's read), a fresh buffer of its size and a copy of it; at 200 000 files of 500 KB the
 * fresh buffers (100 GB of short-lived allocations) kept the garbage collector and the page-fault
 * path busy for a quarter of `gas add`. The chunker cuts the same bytes either way.
 */
export const WHOLE_READ_MAX = 1024 * 1024

/**
 * One buffer lent to one reader at a time: a second reader at once (another command in the same
 * process) gets a buffer of its own rather than waiting.
 */
export class ReadBuffer {
  #buffer = Buffer.alloc(0)
  #lent = false

  /**
   * Reads all of `abs` (a file of `size` bytes, `path` in messages) and passes its bytes to `use`;
   * the bytes are valid only until `use` settles. A file that is not `size` bytes long now (it
   * changed since it was stat'ed) is refused, as the read-ahead refuses one.
   */
  async withContent<T> (fs: FileSystem, abs: string, path: string, size: number, use: (bytes: Buffer) => Promise<T>): Promise<T> {
    const own = this.#lent
    // one byte more than the file: a read that fills it says the file grew
    const buffer = own ? Buffer.allocUnsafe(size + 1) : this.#take(size + 1)
    try {
      const length = await readInto(fs, abs, path, buffer.subarray(0, size + 1))
      if (length !== size) throw new GasError('E_IO', `${path} changed while it was being added (${size} → ${length} bytes); add it again`, { path })
      return await use(buffer.subarray(0, size))
    } finally {
      if (!own) this.#lent = false
    }
  }

  #take (length: number): Buffer {
    this.#lent = true
    if (this.#buffer.length < length) this.#buffer = Buffer.allocUnsafe(Math.max(length, WHOLE_READ_MAX + 1))
    return this.#buffer
  }
}

/** How many bytes the file holds: `into.length - 1` at most when it has not grown, else its size now. */
async function readInto (fs: FileSystem, abs: string, path: string, into: Buffer): Promise<number> {
  const handle = await fs.open(abs, 'r').catch((err) => { throw fromFsError(err, path) })
  try {
    let filled = 0
    while (filled < into.length) {
      const { bytesRead } = await handle.read(into, filled, into.length - filled, filled)
      if (bytesRead === 0) break
      filled += bytesRead
    }
    return filled < into.length ? filled : (await handle.stat()).size
  } catch (err) {
    throw fromFsError(err, path)
  } finally {
    await handle.close()
  }
}
