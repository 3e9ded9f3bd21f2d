import type { Asset } from '../objects/asset.js'
import type { ObjectId } from '../objects/id.js'
import type { ObjectStore } from '../objects/store.js'
import { computeWantSet } from '../sync/want-set.js'

/** Selective-sync predicate of a build fetch: only build content is wanted; assets met on the way stay metadata. */
export const buildContentOnly = (_path: string, asset: Asset): boolean => asset.kind === 'build'

/** Whether anything of build `id` (object, manifests, chunks) is missing from `store`. */
export async function buildContentMissing (store: ObjectStore, id: ObjectId): Promise<boolean> {
  const set = await computeWantSet({ store, roots: [id], wantContent: buildContentOnly })
  return !set.complete || set.content.length > 0
}
