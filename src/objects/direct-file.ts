import { constants } from 'node:fs'
import type { FileHandle } from 'node:fs/promises'
import { DIRECT_ALIGNMENT } from './aligned-buffers.js'
import type { FileSystem } from './fs.js'

/**
 * A new file for writing front to back, with O_DIRECT where the file system takes it: the
 * bytes go from the writer's (aligned) buffers to the disk without a copy into the page cache.
 *
 * why: a sync's arriving file is written once and not read again before the checkout renames it
 * into place; through the page cache, each GiB cost 0.17–2.3 s of system time for the copy (and
 * the pages' state: drop-behind.ts) plus ~0.06 s for the writeback, against ~0.05 s with O_DIRECT
 * (measured on this machine's ext4, 4 MiB writes).
 *
 * O_DIRECT wants every write's address, length and offset on DIRECT_ALIGNMENT: the writer writes
 * whole blocks, carries a partial one into its next write, pads the last and truncates the file
 * to its size (`finishDirect`). Where O_DIRECT is refused (tmpfs on older kernels, other
 * platforms, GAS_DIRECT_WRITES=0) the file is opened as usual and `direct` is false.
 */
export async function openForWriting (fs: FileSystem, path: string, wantDirect: boolean): Promise<{ handle: FileHandle, direct: boolean }> {
  const O_DIRECT = (constants as { O_DIRECT?: number }).O_DIRECT
  let tried = false
  if (wantDirect && O_DIRECT !== undefined && process.env.GAS_DIRECT_WRITES !== '0') {
    tried = true
    try {
      return { handle: await fs.open(path, constants.O_RDWR | constants.O_CREAT | constants.O_EXCL | O_DIRECT), direct: true }
    } catch (err) {
      // EINVAL: this file system does not do O_DIRECT; anything else (a missing folder, a full disk) the usual open reports
      if ((err as NodeJS.ErrnoException).code !== 'EINVAL') throw err
    }
  }
  // 'w+' and not 'wx+': a refused O_DIRECT open may have created the file (its name is this writer's alone)
  return { handle: await fs.open(path, tried ? 'w+' : 'wx+'), direct: false }
}

/** `bytes` rounded up to whole DIRECT_ALIGNMENT blocks */
export function wholeBlocks (bytes: number): number {
  return Math.ceil(bytes / DIRECT_ALIGNMENT) * DIRECT_ALIGNMENT
}

/** `bytes` rounded down to whole DIRECT_ALIGNMENT blocks (what a write before the last may take) */
export function blocksWithin (bytes: number): number {
  return Math.floor(bytes / DIRECT_ALIGNMENT) * DIRECT_ALIGNMENT
}

/** `path` (an existing file) opened again for O_DIRECT writes; undefined where O_DIRECT is refused or turned off (GAS_DIRECT_WRITES=0) */
export async function openDirectWrites (fs: FileSystem, path: string): Promise<FileHandle | undefined> {
  const O_DIRECT = (constants as { O_DIRECT?: number }).O_DIRECT
  if (O_DIRECT === undefined || process.env.GAS_DIRECT_WRITES === '0') return undefined
  try {
    return await fs.open(path, constants.O_WRONLY | O_DIRECT)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EINVAL') return undefined
    throw err
  }
}

/** `path` opened again for O_DIRECT reads; undefined where O_DIRECT is refused (EINVAL: tmpfs, other platforms) */
export async function openDirectReads (fs: FileSystem, path: string): Promise<FileHandle | undefined> {
  const O_DIRECT = (constants as { O_DIRECT?: number }).O_DIRECT
  if (O_DIRECT === undefined) return undefined
  try {
    return await fs.open(path, constants.O_RDONLY | O_DIRECT)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EINVAL') return undefined
    throw err
  }
}
