import { isGasError } from '../errors.js'
import { decodeAsset, type AssetKind } from '../objects/asset.js'
import { decodeBuild } from '../objects/build.js'
import { decodeFileManifest } from '../objects/file-manifest.js'
import type { ObjectId } from '../objects/id.js'
import type { ObjectStore } from '../objects/store.js'
import { decodeTag } from '../objects/tag.js'
import { decodeTree } from '../objects/tree.js'
import { decodeVersion } from '../objects/version.js'
import type { RoleReader } from './read-rights.js'

/**
 * What one set of roles may read of what a serving peer holds, object by object: built by walking
 * every version reachable from the refs (history included: a sync wants old versions' content
 * too), deciding each asset by its path and kind, and listing the chunks of the files it may read.
 *
 * Chunks are shared between files (the same texture in two folders, an edit that kept most of a
 * file), so a chunk is readable when *some* readable asset holds it: the index is an allow-list
 * of chunks, never a deny-list of files. Previews and file manifests are withheld only under a
 * deny rule with `"metadata": false`, and only when no readable asset shares them.
 */
export interface ReadIndex {
  /** chunks of assets the roles may read */
  readonly chunks: ReadonlySet<ObjectId>
  /** metadata the walk met (versions, tags, trees, assets, builds, manifests, previews) */
  readonly metadata: ReadonlySet<ObjectId>
  /** previews and file manifests withheld ("metadata": false), none shared with a readable asset */
  readonly hidden: ReadonlySet<ObjectId>
  /** assets decided, for figures and tests */
  readonly assets: { allowed: number, denied: number }
  /** every object the walk reached was in the store (an index of a partial store may grow when the rest arrives) */
  readonly complete?: boolean
}

const MAX_TAG_DEPTH = 8

/** Walks `roots` (ref targets); objects the store lacks are skipped (a partial clone serves what it has). */
export async function buildReadIndex (store: ObjectStore, roots: ObjectId[], reader: RoleReader): Promise<ReadIndex> {
  const chunks = new Set<ObjectId>()
  const metadata = new Set<ObjectId>()
  const shown = new Set<ObjectId>()
  const hideCandidates = new Set<ObjectId>()
  const filesRead = new Set<ObjectId>()
  const assets = { allowed: 0, denied: 0 }
  const walked = new Set<string>()
  const assetCache = new Map<ObjectId, { file: ObjectId, kind: AssetKind, previews: ObjectId[] } | null>()
  let complete = true

  const body = async (id: ObjectId): Promise<Uint8Array | undefined> => {
    try {
      return (await store.get(id)).body
    } catch (err) {
      if (!isGasError(err, 'E_NOT_FOUND')) throw err
      complete = false
      return undefined
    }
  }

  const readable = async (fileId: ObjectId, previews: ObjectId[]): Promise<void> => {
    shown.add(fileId)
    for (const p of previews) shown.add(p)
    if (filesRead.has(fileId)) return
    filesRead.add(fileId)
    const manifest = await body(fileId)
    if (manifest === undefined) return
    for (const chunk of decodeFileManifest(manifest).chunks) chunks.add(chunk.id)
  }

  const decide = async (path: string, kind: AssetKind, fileId: ObjectId, previews: ObjectId[]): Promise<void> => {
    metadata.add(fileId)
    for (const p of previews) metadata.add(p)
    const decision = reader.decide(path, kind)
    if (decision.allowed) {
      assets.allowed++
      await readable(fileId, previews)
      return
    }
    assets.denied++
    if (decision.metadata) {
      shown.add(fileId)
      for (const p of previews) shown.add(p)
    } else {
      hideCandidates.add(fileId)
      for (const p of previews) hideCandidates.add(p)
    }
  }

  const visitAsset = async (id: ObjectId, path: string): Promise<void> => {
    metadata.add(id)
    let asset = assetCache.get(id)
    if (asset === undefined) {
      const bytes = await body(id)
      const decoded = bytes === undefined ? undefined : decodeAsset(bytes)
      asset = decoded === undefined ? null : { file: decoded.file, kind: decoded.kind, previews: decoded.previews }
      assetCache.set(id, asset)
    }
    if (asset !== null) await decide(path, asset.kind, asset.file, asset.previews)
  }

  const visitTree = async (id: ObjectId, prefix: string): Promise<void> => {
    // why: history shares most subtrees; a (tree, path) pair decides the same way every time
    const key = `${id}\0${prefix}`
    if (walked.has(key)) return
    walked.add(key)
    metadata.add(id)
    const bytes = await body(id)
    if (bytes === undefined) return
    for (const entry of decodeTree(bytes).entries) {
      const path = prefix === '' ? entry.name : `${prefix}/${entry.name}`
      if (entry.type === 'tree') await visitTree(entry.id, path)
      else await visitAsset(entry.id, path)
    }
  }

  const versions: ObjectId[] = []
  const versionsSeen = new Set<ObjectId>()
  const rootsSeen = new Set<ObjectId>()
  /** `depth`: a tag may name a tag; why: a chain longer than this is a loop or an attack, not a release */
  const visitRoot = async (id: ObjectId, depth = 0): Promise<void> => {
    if (rootsSeen.has(id) || depth > MAX_TAG_DEPTH) return
    rootsSeen.add(id)
    let object
    try {
      object = await store.get(id)
    } catch (err) {
      if (!isGasError(err, 'E_NOT_FOUND')) throw err
      complete = false
      return
    }
    if (object.type === 'version') {
      if (!versionsSeen.has(id)) versions.push(id)
      versionsSeen.add(id)
      metadata.add(id)
    } else if (object.type === 'tag') {
      metadata.add(id)
      await visitRoot(decodeTag(object.body).object, depth + 1)
    } else if (object.type === 'tree') await visitTree(id, '')
    else if (object.type === 'asset') await visitAsset(id, '')
    else if (object.type === 'build') {
      metadata.add(id)
      // build files are asked about as NAME@VERSION/<path> of kind build, as selective sync does
      const build = decodeBuild(object.body)
      for (const file of build.files) await decide(`${build.name}@${build.version}/${file.path}`, 'build', file.file, [])
    } else metadata.add(id)
  }
  for (const root of roots) await visitRoot(root)
  for (let i = 0; i < versions.length; i++) {
    const bytes = await body(versions[i])
    if (bytes === undefined) continue
    const version = decodeVersion(bytes)
    await visitTree(version.tree, '')
    for (const parent of version.parents) {
      if (versionsSeen.has(parent)) continue
      versionsSeen.add(parent)
      metadata.add(parent)
      versions.push(parent)
    }
  }
  const hidden = new Set<ObjectId>()
  for (const id of hideCandidates) if (!shown.has(id)) hidden.add(id)
  return { chunks, metadata, hidden, assets, complete }
}
