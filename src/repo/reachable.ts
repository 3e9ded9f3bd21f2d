import { decodeFileManifest } from '../objects/file-manifest.js'
import type { ObjectId, ObjectType } from '../objects/id.js'
import type { ObjectStore } from '../objects/store.js'
import { decodeTag } from '../objects/tag.js'
import { decodeTree } from '../objects/tree.js'
import { decodeAsset } from '../objects/asset.js'
import { decodeVersion } from '../objects/version.js'

export interface Reached { id: ObjectId, type: ObjectType, path?: string }

/**
 * Walks everything reachable from `roots` (refs' targets): tags, versions with all their ancestors,
 * trees, assets, file manifests and previews; chunk ids are reported by `onChunk` without being read.
 * Missing metadata is reported through `onMissing` and the walk goes on.
 */
export async function walkReachable (store: ObjectStore, roots: ObjectId[], visit: {
  onObject?: (r: Reached, body: Uint8Array) => void
  onChunk?: (id: ObjectId, length: number) => void
  onMissing?: (id: ObjectId, err: unknown) => void
}): Promise<void> {
  const seen = new Set<ObjectId>()
  const stack: Array<{ id: ObjectId, path?: string }> = roots.map((id) => ({ id }))
  while (stack.length > 0) {
    const { id, path } = stack.pop()!
    if (seen.has(id)) continue
    seen.add(id)
    let object
    try {
      object = await store.get(id)
    } catch (err) {
      visit.onMissing?.(id, err)
      continue
    }
    visit.onObject?.({ id, type: object.type, path }, object.body)
    try {
      switch (object.type) {
        case 'tag': stack.push({ id: decodeTag(object.body).object }); break
        case 'version': {
          const v = decodeVersion(object.body)
          stack.push({ id: v.tree, path: '' }, ...v.parents.map((p) => ({ id: p })))
          break
        }
        case 'tree':
          for (const e of decodeTree(object.body).entries) stack.push({ id: e.id, path: path === undefined || path === '' ? e.name : `${path}/${e.name}` })
          break
        case 'asset': {
          const a = decodeAsset(object.body)
          stack.push({ id: a.file, path }, ...a.previews.map((p) => ({ id: p, path })))
          break
        }
        case 'file':
          for (const c of decodeFileManifest(object.body).chunks) visit.onChunk?.(c.id, c.length)
          break
        default:
          break
      }
    } catch (err) {
      visit.onMissing?.(id, err)
    }
  }
}
