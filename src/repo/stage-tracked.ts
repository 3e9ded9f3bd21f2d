import { addPaths, removePaths, type AddedAsset } from './add.js'
import { trackedChanges } from './status.js'
import type { Workspace } from './workspace.js'

/**
 * Stages every tracked file that changed on disk and unstages every tracked file that is gone, as
 * `git commit -a` does; files never added stay untracked (a stray export is not committed by
 * accident). `gas commit --all` runs it before the commit.
 */
export async function stageTrackedChanges (ws: Workspace): Promise<{ added: AddedAsset[], removed: string[] }> {
  const { changed, gone } = await trackedChanges(ws)
  const added = changed.length === 0 ? [] : await addPaths(ws, { paths: changed.map((path) => ws.absolutePath(path)) })
  // gone from disk already: only the index forgets them
  const removed = gone.length === 0 ? [] : await removePaths(ws, { paths: gone.map((path) => ws.absolutePath(path)), cached: true })
  return { added, removed }
}
