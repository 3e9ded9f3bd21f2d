import { decodeFileManifestLazily } from '../objects/file-manifest.js'
import type { ObjectId } from '../objects/id.js'
import { chunksOutsidePacks } from './native-restore.js'
import type { Workspace } from './workspace.js'

/** Whether every chunk of a file manifest is stored (false when the manifest itself is not). */
export async function contentHere (ws: Workspace, fileId: ObjectId): Promise<boolean> {
  if (!(await ws.store.has(fileId))) return false
  // the chunks in closed packs are found at once (native-restore.ts); the rest one by one
  const manifest = decodeFileManifestLazily((await ws.store.get(fileId)).body)
  for (const chunk of chunksOutsidePacks(ws.store, manifest)) if (!(await ws.store.has(chunk.id, 'chunk'))) return false
  return true
}
