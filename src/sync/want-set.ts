import { decodeAsset, type Asset } from '../objects/asset.js'
import { decodeFileManifest } from '../objects/file-manifest.js'
import type { ObjectId } from '../objects/id.js'
import type { ObjectStore } from '../objects/store.js'
import { decodeTag } from '../objects/tag.js'
import { decodeTree } from '../objects/tree.js'
import { decodeVersion } from '../objects/version.js'

/**
 * What a peer still needs for a set of roots (ref targets): walks version → tree → asset → file
 * manifest → chunks, and asset → previews, and lists what the local store lacks.
 *
 * Metadata (versions, trees, assets, file manifests, previews, tags) always comes first and at
 * a higher priority than any content, so a slow link still shows history and previews at once.
 * Content is wanted only where `wantContent(path, asset)` says so (selective sync), and small
 * assets come before large ones. A missing metadata object hides what is below it: fetch
 * `metadata`, then compute again, until `complete`.
 */

/** WANT priorities (0..255, higher first). why: metadata must never queue behind content at the serving peer */
export const PRIORITY_METADATA = 250
/** why: previews are small and what a user looks at first, but a tree without them is still usable */
export const PRIORITY_PREVIEW = 240
/** why: content ranks below every metadata priority; within it, small assets first (see contentPriority) */
export const PRIORITY_CONTENT_MAX = 200

export type WantKind = 'metadata' | 'content'

export interface WantedObject {
  id: ObjectId
  kind: WantKind
  priority: number
  /** raw bytes when known (chunks) */
  size?: number
  /** workspace path of the asset it belongs to, when known */
  path?: string
  /** content: the asset (or file manifest) it belongs to, a root that fetches it again */
  asset?: ObjectId
}

export interface WantSet {
  metadata: WantedObject[]
  content: WantedObject[]
  /** bytes of content wanted */
  contentBytes: number
  /** no metadata is missing: `content` is everything these roots need */
  complete: boolean
}

export interface WantSetOptions {
  store: ObjectStore
  roots: ObjectId[]
  /** selective sync: whether this asset's content is wanted (default: all) */
  wantContent?: (path: string, asset: Asset) => boolean
  /** walk parents of versions too (default true): history metadata and, with contentOfHistory, its content */
  history?: boolean
  /** content of older versions too (default true, like git); false: only the versions the roots name */
  contentOfHistory?: boolean
  /**
   * Decoded objects kept between the rounds of one sync: each round walks again from the roots,
   * and would read and verify every stored version, tree and asset again. Objects are immutable,
   * so a cache can only be missing entries. File manifests are left out: they are the bulk of a
   * big project's metadata and the last level, read again in one round at most.
   */
  decoded?: Map<ObjectId, unknown>
}

/** Smaller assets get higher priorities: 1 KiB ≈ 150, 1 MiB ≈ 100, 1 GiB ≈ 50. */
export function contentPriority (assetSize: number): number {
  const bits = Math.ceil(Math.log2(Math.max(1, assetSize) + 1))
  return Math.max(1, Math.min(PRIORITY_CONTENT_MAX, PRIORITY_CONTENT_MAX - 5 * bits))
}

export async function computeWantSet (opts: WantSetOptions): Promise<WantSet> {
  const { store } = opts
  const decoded = opts.decoded
  const read = async <T>(id: ObjectId, decode: (body: Uint8Array) => T): Promise<T> => {
    const hit = decoded?.get(id)
    if (hit !== undefined) return hit as T
    const value = decode((await store.get(id)).body)
    decoded?.set(id, value)
    return value
  }
  const history = opts.history ?? true
  const contentOfHistory = opts.contentOfHistory ?? true
  const metadata: WantedObject[] = []
  const content: WantedObject[] = []
  const seen = new Set<ObjectId>()
  const contentSeen = new Set<ObjectId>()
  /** chunks listed in `content` (seen but not here) */
  const contentWanted = new Set<ObjectId>()
  let contentBytes = 0

  const missingIds = new Set<ObjectId>()
  /** true when `id` is not stored (listed once as wanted metadata) */
  const missing = async (id: ObjectId, priority: number, path?: string): Promise<boolean> => {
    if (seen.has(id)) return missingIds.has(id)
    seen.add(id)
    if (await store.has(id)) return false
    missingIds.add(id)
    metadata.push({ id, kind: 'metadata', priority, path })
    return true
  }

  // Each visit answers whether everything below it is here, content included ("whole"): a
  // whole tree is recorded in the store's completeTrees and never walked again.
  const completeTrees = store.completeTrees
  const newlyWhole: ObjectId[] = []

  const filesWalked = new Map<ObjectId, boolean>()
  const visitFile = async (fileId: ObjectId, path: string, assetSize: number, withContent: boolean, assetId?: ObjectId): Promise<boolean> => {
    if (await missing(fileId, PRIORITY_METADATA, path)) return false
    if (!withContent) return false
    const before = filesWalked.get(fileId)
    if (before !== undefined) return before
    // not in `decoded`: see WantSetOptions.decoded
    const manifest = decodeFileManifest((await store.get(fileId)).body)
    const priority = contentPriority(assetSize)
    let whole = true
    for (const chunk of manifest.chunks) {
      if (contentSeen.has(chunk.id)) {
        whole &&= !contentWanted.has(chunk.id)
        continue
      }
      contentSeen.add(chunk.id)
      if (await store.has(chunk.id, 'chunk')) continue
      whole = false
      contentWanted.add(chunk.id)
      content.push({ id: chunk.id, kind: 'content', priority, size: chunk.length, path, asset: assetId ?? fileId })
      contentBytes += chunk.length
    }
    filesWalked.set(fileId, whole)
    return whole
  }

  /** trees and assets already walked: with content → whether whole; without → false. History shares most of them. */
  const walked = new Map<ObjectId, { withContent: boolean, whole: boolean }>()
  const visitAsset = async (id: ObjectId, path: string, withContent: boolean): Promise<boolean> => {
    if (await missing(id, PRIORITY_METADATA, path)) return false
    const before = walked.get(id)
    if (before !== undefined && (before.withContent || !withContent)) return before.whole
    const asset = await read(id, decodeAsset)
    let whole = true
    for (const preview of asset.previews) if (await missing(preview, PRIORITY_PREVIEW, path)) whole = false
    // why: the manifest is metadata (0.06% of the content) and syncs even when the content does not
    if (!(await visitFile(asset.file, path, asset.size, withContent && (opts.wantContent?.(path, asset) ?? true), id))) whole = false
    walked.set(id, { withContent, whole })
    return whole
  }

  const visitTree = async (id: ObjectId, prefix: string, withContent: boolean): Promise<boolean> => {
    if (completeTrees?.has(id) === true) return true
    if (await missing(id, PRIORITY_METADATA, prefix === '' ? undefined : prefix)) return false
    const before = walked.get(id)
    if (before !== undefined && (before.withContent || !withContent)) return before.whole
    const tree = await read(id, decodeTree)
    let whole = true
    for (const entry of tree.entries) {
      const path = prefix === '' ? entry.name : `${prefix}/${entry.name}`
      if (!(entry.type === 'tree' ? await visitTree(entry.id, path, withContent) : await visitAsset(entry.id, path, withContent))) whole = false
    }
    walked.set(id, { withContent, whole })
    if (whole) newlyWhole.push(id)
    return whole
  }

  // versions breadth first so the tips' content is listed before their history's
  const versions: Array<{ id: ObjectId, tip: boolean }> = []
  const versionsSeen = new Set<ObjectId>()
  const visitRoot = async (id: ObjectId): Promise<void> => {
    if (await missing(id, PRIORITY_METADATA)) return
    const object = await store.get(id)
    if (object.type === 'version') {
      if (!versionsSeen.has(id)) versions.push({ id, tip: true })
      versionsSeen.add(id)
    } else if (object.type === 'tag') await visitRoot(decodeTag(object.body).object)
    else if (object.type === 'tree') await visitTree(id, '', true)
    else if (object.type === 'asset') await visitAsset(id, '', true)
    else if (object.type === 'file') await visitFile(id, '', decodeFileManifest(object.body).size, true)
    // a file manifest (an LFS object) brings its chunks; builds and other types are leaves here: fetched as metadata, walked by their own layer
  }
  for (const root of opts.roots) await visitRoot(root)
  for (let i = 0; i < versions.length; i++) {
    const { id, tip } = versions[i]
    const version = await read(id, decodeVersion)
    await visitTree(version.tree, '', tip || contentOfHistory)
    if (!history) continue
    for (const parent of version.parents) {
      if (versionsSeen.has(parent) || await missing(parent, PRIORITY_METADATA)) continue
      versionsSeen.add(parent)
      versions.push({ id: parent, tip: false })
    }
  }
  await completeTrees?.add(newlyWhole)
  return { metadata, content, contentBytes, complete: metadata.length === 0 }
}

/** Everything missing for `roots`, metadata first, as one stream (the want-set of one moment). */
export async function * missingObjects (opts: WantSetOptions): AsyncGenerator<WantedObject> {
  const set = await computeWantSet(opts)
  yield * set.metadata
  yield * set.content
}
