import { decodeFileManifestLazily, type LazyFileManifest } from '../objects/file-manifest.js'
import type { ObjectId } from '../objects/id.js'
import type { ObjectStore } from '../objects/store.js'
import { chunksOutsidePacks } from './native-restore.js'
import type { Workspace } from './workspace.js'

/** Whether every chunk of a file manifest is stored (false when the manifest itself is not). */
export async function contentHere (ws: Workspace, fileId: ObjectId): Promise<boolean> {
  if (!(await ws.store.has(fileId))) return false
  return await chunksHere(ws.store, decodeFileManifestLazily((await ws.store.get(fileId)).body))
}

/** Whether every chunk `manifest` lists is stored: those in closed packs found at once (native-restore.ts), the rest one by one. */
export async function chunksHere (store: ObjectStore, manifest: LazyFileManifest): Promise<boolean> {
  for (const chunk of chunksOutsidePacks(store, manifest)) if (!(await store.has(chunk.id, 'chunk'))) return false
  return true
}
