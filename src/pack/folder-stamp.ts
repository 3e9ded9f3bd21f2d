import type { FileSystem } from '../objects/fs.js'

/**
 * why: a file system stamps times from a coarse clock (one kernel tick, 1–10 ms), so two changes
 * of a folder within one tick leave the same mtime; a look that read the folder in that tick
 * would trust a stamp that hides the second change (git calls this "racy"). An mtime this close
 * to now is not trusted: the folder is listed again until its stamp is older than this.
 */
export const RACY_MS = 1000

export interface FolderStamp {
  mtimeMs: number
  /** false while the mtime is recent enough that a later change could share it */
  trusted: boolean
}

export async function folderStamp (fs: FileSystem, dir: string, now: () => number = Date.now): Promise<FolderStamp> {
  const { mtimeMs } = await fs.stat(dir)
  return { mtimeMs, trusted: now() - mtimeMs > RACY_MS }
}
