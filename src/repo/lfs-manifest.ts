import { decodeFileManifest, decodeFileManifestLazily, type FileManifest, type LazyFileManifest } from '../objects/file-manifest.js'
import { chunksHere } from './content-here.js'
import type { ObjectId } from '../objects/id.js'
import type { ObjectStore } from '../objects/store.js'

/**
 * What the store holds of the Git LFS object `oid` whose file manifest a ref names as `fileId`:
 * 'whole' (a manifest of exactly that content, every chunk stored), 'partial' (the manifest or
 * some chunk not here), or 'other' (held, and not a manifest of that content: a ref may name any id).
 * The LFS agent and the pre-push hook (src/hooks/lfs-store.ts) and a serve taking a member's LFS
 * objects (src/peer/sync/serve-lfs.ts) ask it.
 */
export type LfsManifestState = { state: 'whole', manifest: FileManifest } | { state: 'partial' | 'other' }

export async function lfsManifestState (store: ObjectStore, fileId: ObjectId, oid: string): Promise<LfsManifestState> {
  if (!(await store.has(fileId))) return { state: 'partial' }
  const object = await store.get(fileId)
  if (object.type !== 'file') return { state: 'other' }
  let manifest: LazyFileManifest
  try {
    manifest = decodeFileManifestLazily(object.body)
  } catch {
    return { state: 'other' }
  }
  if (manifest.sha256 !== oid) return { state: 'other' }
  if (!(await chunksHere(store, manifest))) return { state: 'partial' }
  return { state: 'whole', manifest: decodeFileManifest(object.body) }
}
