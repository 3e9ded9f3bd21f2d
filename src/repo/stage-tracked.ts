import { addPaths, removePaths, type AddedAsset } from './add.js'
import { workspaceStatus } from './status.js'
import type { Workspace } from './workspace.js'

/**
 * Stages every tracked file that changed on disk and unstages every tracked file that is gone, as
 * `git commit -a` does; files never added stay untracked (a stray export is not committed by
 * accident). `gas commit --all` runs it before the commit.
 */
export async function stageTrackedChanges (ws: Workspace): Promise<{ added: AddedAsset[], removed: string[] }> {
  const { modified, deleted } = await workspaceStatus(ws)
  const added = modified.length === 0 ? [] : await addPaths(ws, { paths: modified.map((path) => ws.absolutePath(path)) })
  // gone from disk already: only the index forgets them
  const removed = deleted.length === 0 ? [] : await removePaths(ws, { paths: deleted.map((path) => ws.absolutePath(path)), cached: true })
  return { added, removed }
}
