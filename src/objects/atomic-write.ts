import { randomBytes } from 'node:crypto'
import type { FileHandle } from 'node:fs/promises'
import { fromFsError } from '../errors.js'
import type { FileSystem } from './fs.js'

/**
 * A temporary name beside `path`, unique per call: two processes (or two writes of one process)
 * never share a temporary file, and a reader never sees one, since it never has the final name.
 */
export function tempPathFor (path: string, marker = 'tmp'): string {
  return `${path}.${marker}-${randomBytes(6).toString('hex')}`
}

/**
 * Writes `data` to a unique temporary name and renames it over `path`: a reader, or a crash at any
 * instant, sees the old content or the new, never half of it. On failure the temporary file is
 * removed and the error keeps its cause (E_DISK_FULL, permission, …), named after `what`.
 */
export async function writeFileAtomic (fs: FileSystem, path: string, data: string | Uint8Array, opts: { mode?: number, what?: string } = {}): Promise<void> {
  const tmp = tempPathFor(path)
  try {
    await fs.writeFile(tmp, data, opts.mode === undefined ? {} : { mode: opts.mode })
    await fs.rename(tmp, path)
  } catch (err) {
    await fs.rm(tmp, { force: true }).catch(() => {})
    throw fromFsError(err, opts.what ?? path)
  }
}

/**
 * The same for content written piece by piece (a restored asset, streamed from its chunks):
 * `write` fills the open temporary file, `check` may refuse it (then nothing is renamed).
 */
export async function writeStreamAtomic (fs: FileSystem, path: string, write: (handle: FileHandle) => Promise<void>, check?: () => void): Promise<void> {
  // named for gas: this file sits beside the user's own files until it is renamed
  const tmp = tempPathFor(path, 'gas-tmp')
  try {
    const handle = await fs.open(tmp, 'wx')
    try {
      await write(handle)
    } finally {
      await handle.close()
    }
    check?.()
    await fs.rename(tmp, path)
  } catch (err) {
    await fs.rm(tmp, { force: true }).catch(() => {})
    throw fromFsError(err, path)
  }
}
