import type { IndexEntry } from './staging-index.js'
import type { Workspace } from './workspace.js'

/**
 * Whether the file at `path` holds work the store does not: 'edited' when it exists and differs
 * (by mtime or size, as git's index compares) from what the index recorded for it, or exists
 * untracked; 'clean' when it matches, 'missing' when it is not on disk.
 */
export async function workingFileState (ws: Workspace, path: string, entry: IndexEntry | undefined): Promise<'edited' | 'clean' | 'missing'> {
  const st = await ws.fs.stat(ws.absolutePath(path)).catch(() => undefined)
  if (st === undefined) return 'missing'
  return entry === undefined || st.mtimeMs !== entry.mtimeMs || st.size !== entry.meta.size ? 'edited' : 'clean'
}
