import { decodeAsset, type Asset } from '../objects/asset.js'
import { decodeBuild, type Build } from '../objects/build.js'
import { decodeFileManifest, decodeFileManifestLazily } from '../objects/file-manifest.js'
import { CHUNK_ENTRY_BYTES, chunkEntries } from '../objects/chunk-list.js'
import { IdTable } from '../objects/id-table.js'
import { WalkedTable, walkedKey } from './walked-table.js'
import type { ObjectId } from '../objects/id.js'
import type { ObjectStore } from '../objects/store.js'
import { decodeTag } from '../objects/tag.js'
import { atTreePath } from '../objects/entry-name.js'
import { decodeTree } from '../objects/tree.js'
import { decodeVersion } from '../objects/version.js'
import { companionOf } from '../repo/engine.js'
import type { Companion } from './companions.js'
import { policyTreeKey, type WantedObject, type WantSet, type WantSetOptions } from './want-set-types.js'
import { ContentWantList } from './content-want-list.js'
import { contentPriority, PRIORITY_METADATA, PRIORITY_PREVIEW } from './want-priority.js'

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

export { contentPriority, PRIORITY_CONTENT_MAX, PRIORITY_METADATA, PRIORITY_PREVIEW } from './want-priority.js'
export { policyTreeKey, type WantContent, type WantedObject, type WantKind, type WantSet, type WantSetOptions } from './want-set-types.js'


/** why: `decoded` keeps versions and trees across rounds, up to this many tree entries, not a whole project's */
const MAX_DECODED = 20_000
/** what each `decoded` cache holds, in tree entries (objects other than trees weigh 1) */
const decodedWeight = new WeakMap<Map<ObjectId, unknown>, number>()

/** bytes of an id at the start of each chunk entry */
const KEY = 32

/** filesWalked values: the manifest's chunks were walked, and some were missing / all were here / all here or listed */
const FILE_PARTIAL = 1
const FILE_WHOLE = 2
const FILE_ARRIVING = 3

/** contentWanted values: the chunk is listed in `content` / refused by the peers (not listed) */
const CHUNK_LISTED = 0
const CHUNK_UNAVAILABLE = 1

/**
 * A visit's outcome: everything below is here (WHOLE), or will be once the listed content arrives
 * (ARRIVING: what is missing below is only content this walk lists), and some content was left
 * out by the policy (SKIPPED).
 */
const WHOLE = 1
const SKIPPED = 2
const ARRIVING = 4
/** WHOLE or ARRIVING: whole once this want-set's content is fetched */
const WHOLE_ONCE_FETCHED = WHOLE | ARRIVING

/** A want-set whose content is held compactly (content-want-list.ts): what a sync of big files keeps through its fetch. */
export type CompactWantSet = Omit<WantSet, 'content'> & { content: ContentWantList }

export async function computeWantSet (opts: WantSetOptions): Promise<WantSet> {
  const set = await computeCompactWantSet(opts)
  return { ...set, content: set.content.toArray() }
}

export async function computeCompactWantSet (opts: WantSetOptions): Promise<CompactWantSet> {
  const { store } = opts
  const decoded = opts.decoded
  const read = async <T>(id: ObjectId, decode: (body: Uint8Array) => T, keep = true): Promise<T> => {
    const hit = decoded?.get(id)
    if (hit !== undefined) return hit as T
    const value = decode((await store.get(id)).body)
    if (keep && decoded !== undefined) {
      // a tree weighs its entries: 200 folders of 1000 assets are 200 000 decoded entries
      const weight = (decodedWeight.get(decoded) ?? 0) + (Array.isArray((value as { entries?: unknown }).entries) ? (value as { entries: unknown[] }).entries.length : 1)
      if (weight <= MAX_DECODED) {
        decoded.set(id, value)
        decodedWeight.set(decoded, weight)
      }
    }
    return value
  }
  const history = opts.history ?? true
  const contentOfHistory = opts.contentOfHistory ?? true
  // per version walked: a whole root's versions set both aside (see wholeRoots), an uncounted root's count nothing
  let wantContent = opts.wantContent
  let policyKey = opts.policyKey
  let counted = true
  const unavailable = opts.unavailable
  const metadata: WantedObject[] = []
  const content = new ContentWantList()
  // why no set of every id met (Sets of hex strings grew ~1 KB an asset): asking the pack index
  // again about a present object is a lookup in memory, cheaper than holding 400 000 ids for
  // 200 000 assets, or 1.6 M chunk ids for 100 GB. Only what is missing, and the walks' outcomes
  // (per file manifest; per tree and asset in `walked`), are remembered, in compact IdTables.
  /** file manifests whose chunks were walked: FILE_PARTIAL or FILE_WHOLE */
  const filesWalked = new IdTable()
  /** chunks listed in `content` (seen but not here) */
  const contentWanted = new IdTable()
  let contentBytes = 0

  const missingIds = new Set<ObjectId>()
  /** true when `id` is not stored (listed once as wanted metadata) */
  const missing = async (id: ObjectId, priority: number, path?: string): Promise<boolean> => {
    if (missingIds.has(id)) return true
    if (await store.has(id)) return false
    missingIds.add(id)
    if (unavailable?.has(id) === true) return true
    metadata.push({ id, kind: 'metadata', priority, path })
    return true
  }

  // Each visit answers whether everything below it is here ("whole"); the caller records whole
  // trees in completeTrees and the next walk skips them.
  const completeTrees = opts.completeTrees ?? store.completeTrees
  const newlyWhole: ObjectId[] = []
  const wholeOnArrival: ObjectId[] = []

  /** WHOLE, ARRIVING (every missing chunk is listed) or 0 */
  const visitFile = async (fileId: ObjectId, path: string, assetSize: number, withContent: boolean, assetId?: ObjectId): Promise<number> => {
    if (await missing(fileId, PRIORITY_METADATA, path)) return 0
    if (!withContent) return 0
    const before = filesWalked.get(fileId)
    if (before !== undefined) return before === FILE_WHOLE ? WHOLE : before === FILE_ARRIVING ? ARRIVING : 0
    // not in `decoded`: see WantSetOptions.decoded. Lazily: a 10 GB file's chunk list decoded whole
    // is ~25 MiB of ChunkRefs at once; read one at a time, only the wanted ones are kept
    const entries = chunkEntries(decodeFileManifestLazily((await store.get(fileId)).body))
    const priority = contentPriority(assetSize)
    const asset = assetId ?? fileId
    let whole = true
    let arriving = true
    const listedBefore = contentBytes
    // why by the ids' 32 bytes: a 1 GiB file is ~16 000 chunks, and a hex string, a promise and four
    // hex decodings each were ~60 of the ~100 ms between a sync's metadata and its first content
    for (let at = 0; at < entries.length; at += CHUNK_ENTRY_BYTES) {
      const key = entries.subarray(at, at + KEY)
      const seen = contentWanted.getKey(key)
      if (seen !== undefined) {
        whole = false
        if (seen === CHUNK_UNAVAILABLE) arriving = false
        continue
      }
      if (store.hasChunkKey?.(key) ?? await store.has(key.toString('hex'), 'chunk')) continue
      whole = false
      if (unavailable !== undefined && unavailable.size > 0 && unavailable.has(key.toString('hex'))) {
        contentWanted.setKey(key, CHUNK_UNAVAILABLE)
        arriving = false
        continue
      }
      // at a file's first listed chunk, room for the rest (a file that arrives is missing them all)
      if (contentBytes === listedBefore) contentWanted.reserve((entries.length - at) / CHUNK_ENTRY_BYTES)
      contentWanted.setKey(key, CHUNK_LISTED)
      const length = entries.readUInt32BE(at + KEY)
      content.pushKey(key, { priority, size: length, path, asset })
      contentBytes += length
    }
    filesWalked.set(fileId, whole ? FILE_WHOLE : arriving ? FILE_ARRIVING : FILE_PARTIAL)
    return whole ? WHOLE : arriving ? ARRIVING : 0
  }

  /** file manifests of older versions whose content is left on the peers (contentOfHistory false) */
  const leftOut = new IdTable()
  const historyLeftOut = { files: 0, bytes: 0 }
  /**
   * An older version's wanted file, not fetched (contentOfHistory false): WHOLE when its content is
   * here anyway, else counted in historyLeftOut. It stops at the first absent chunk: no chunk is listed.
   */
  const visitOlderFile = async (fileId: ObjectId, path: string, assetSize: number): Promise<number> => {
    if (await missing(fileId, PRIORITY_METADATA, path)) return 0
    const before = filesWalked.get(fileId)
    if (before !== undefined) return before === FILE_WHOLE ? WHOLE : before === FILE_ARRIVING ? ARRIVING : 0
    if (leftOut.get(fileId) !== undefined) return 0
    let arriving = false
    const entries = chunkEntries(decodeFileManifestLazily((await store.get(fileId)).body))
    for (let at = 0; at < entries.length; at += CHUNK_ENTRY_BYTES) {
      const key = entries.subarray(at, at + KEY)
      // a chunk a newer version shares, listed for it: here once this fetch is done
      if (contentWanted.getKey(key) === CHUNK_LISTED) { arriving = true; continue }
      if (store.hasChunkKey?.(key) ?? await store.has(key.toString('hex'), 'chunk')) continue
      leftOut.set(fileId, 1)
      if (counted) {
        historyLeftOut.files++
        historyLeftOut.bytes += assetSize
      }
      return 0
    }
    filesWalked.set(fileId, arriving ? FILE_ARRIVING : FILE_WHOLE)
    return arriving ? ARRIVING : WHOLE
  }

  /**
   * Trees and assets already walked, by id and path (the policy is path-based): with content →
   * the outcome; without → not whole. History shares most of them.
   */
  const walked = new WalkedTable()
  const visitAsset = async (id: ObjectId, path: string, withContent: boolean, companion?: { path: string, id: ObjectId | null }): Promise<number> => {
    const key = walkedKey(id, path)
    const before = walked.get(key)
    if (before !== undefined && (before.withContent || !withContent)) return before.outcome
    if (await missing(id, PRIORITY_METADATA, path)) return 0
    // not kept in `decoded`: assets are as many as files, read again in a later round at most
    const asset = await read(id, decodeAsset, false)
    let whole = true
    for (const preview of asset.previews) if (await missing(preview, PRIORITY_PREVIEW, path)) whole = false
    let wanted = true
    // why also without content: an older version the policy wants is left out on purpose, one it does not want is whole without it
    if (wantContent !== undefined) {
      let partner: Companion | undefined
      if (companion?.id === null) partner = { path: companion.path, asset: null }
      else if (companion !== undefined && !(await missing(companion.id, PRIORITY_METADATA, companion.path))) partner = { path: companion.path, asset: await read(companion.id, decodeAsset) }
      wanted = wantContent(path, asset, partner)
    }
    let outcome: number
    if (!wanted) {
      // why: the manifest is metadata (0.06% of the content) and syncs even when the content does not
      outcome = (await missing(asset.file, PRIORITY_METADATA, path)) || !whole ? SKIPPED : WHOLE | SKIPPED
    } else {
      const file = withContent ? await visitFile(asset.file, path, asset.size, true, id) : await visitOlderFile(asset.file, path, asset.size)
      outcome = whole ? file : 0
    }
    walked.set(key, { withContent, outcome })
    return outcome
  }

  const visitTree = async (id: ObjectId, prefix: string, withContent: boolean): Promise<number> => {
    if (completeTrees?.has(id) === true) return WHOLE
    const relativeKey = policyKey === undefined ? undefined : policyTreeKey(policyKey, id, prefix)
    if (relativeKey !== undefined && completeTrees?.has(relativeKey) === true) return WHOLE | SKIPPED
    const key = walkedKey(id, prefix)
    const before = walked.get(key)
    if (before !== undefined && (before.withContent || !withContent)) return before.outcome
    if (await missing(id, PRIORITY_METADATA, prefix === '' ? undefined : prefix)) return 0
    const tree = await read(id, decodeTree).catch((err: unknown) => { throw atTreePath(err, prefix, id) })
    const names = wantContent === undefined ? undefined : new Map(tree.entries.map((e) => [e.name, e]))
    let whole = true
    let wholeOnceFetched = true
    let skipped = false
    for (const entry of tree.entries) {
      const path = prefix === '' ? entry.name : `${prefix}/${entry.name}`
      let outcome: number
      if (entry.type === 'tree') outcome = await visitTree(entry.id, path, withContent)
      else {
        // a Unity .meta / Godot .import is wanted exactly when the file it describes is
        const partnerName = names === undefined ? undefined : companionOf(entry.name)
        const partner = partnerName === undefined ? undefined : names?.get(partnerName)
        const companion = partner === undefined ? undefined : { path: prefix === '' ? partner.name : `${prefix}/${partner.name}`, id: partner.type === 'tree' ? null : partner.id }
        outcome = await visitAsset(entry.id, path, withContent, companion)
      }
      if ((outcome & WHOLE) === 0) whole = false
      if ((outcome & WHOLE_ONCE_FETCHED) === 0) wholeOnceFetched = false
      if ((outcome & SKIPPED) !== 0) skipped = true
    }
    const outcome = (whole ? WHOLE : wholeOnceFetched ? ARRIVING : 0) | (skipped ? SKIPPED : 0)
    walked.set(key, { withContent, outcome })
    const recorded = whole ? newlyWhole : wholeOnceFetched ? wholeOnArrival : undefined
    if (recorded !== undefined && !skipped) recorded.push(id)
    else if (recorded !== undefined && relativeKey !== undefined) recorded.push(relativeKey)
    return outcome
  }

  // versions breadth first so the tips' content is listed before their history's
  const versions: Array<{ id: ObjectId, tip: boolean, whole: boolean, uncounted: boolean }> = []
  const versionsSeen = new Set<ObjectId>()
  const visitRoot = async (id: ObjectId, whole = opts.wholeRoots?.has(id) === true, uncounted = opts.uncountedRoots?.has(id) === true): Promise<void> => {
    if (await missing(id, PRIORITY_METADATA)) return
    const object = await store.get(id)
    if (object.type === 'version') {
      if (!versionsSeen.has(id)) versions.push({ id, tip: true, whole, uncounted })
      versionsSeen.add(id)
    } else if (object.type === 'tag') await visitRoot(decodeTag(object.body).object, whole, uncounted)
    else if (object.type === 'tree') await visitTree(id, '', true)
    else if (object.type === 'asset') await visitAsset(id, '', true)
    else if (object.type === 'file') await visitFile(id, '', decodeFileManifest(object.body).size, true)
    else if (object.type === 'build') await visitBuild(object.body)
    // a file manifest (an LFS object) brings its chunks; other types are leaves here: fetched as metadata
  }

  // Builds: the build object and its files' manifests are metadata and always sync (every member
  // sees which builds exist, and `gas build diff` can price a fetch). Their content is wanted only
  // when wantContent says yes for an asset of kind 'build' (`gas build fetch` does; the qa role's
  // rules will): without wantContent, a build's content is NOT wanted, unlike an asset's, so a plain
  // `gas sync` of refs/builds/* never pulls every build into every member's store. The path asked
  // about is NAME@VERSION/<file path>; the asset is the file with kind 'build' and tags build, version.
  const visitBuild = async (body: Uint8Array): Promise<void> => {
    let build: Build
    try {
      build = decodeBuild(body)
    } catch {
      return // a malformed build stays a leaf: `gas build fetch` reports it, a sync of everything else goes on
    }
    for (const file of build.files) {
      const path = `${build.name}@${build.version}/${file.path}`
      const asBuildAsset: Asset = { file: file.file, size: file.size, sha256: file.sha256, kind: 'build', format: '', tags: { build: build.name, version: build.version }, previews: [] }
      await visitFile(file.file, path, file.size, opts.wantContent?.(path, asBuildAsset) ?? false)
    }
  }
  for (const root of opts.roots) await visitRoot(root)
  for (let i = 0; i < versions.length; i++) {
    const { id, tip, whole, uncounted } = versions[i]
    const version = await read(id, decodeVersion)
    wantContent = whole ? undefined : opts.wantContent
    policyKey = whole ? undefined : opts.policyKey
    counted = !uncounted
    await visitTree(version.tree, '', tip || contentOfHistory)
    if (!history) continue
    for (const parent of version.parents) {
      if (versionsSeen.has(parent) || await missing(parent, PRIORITY_METADATA)) continue
      versionsSeen.add(parent)
      versions.push({ id: parent, tip: false, whole, uncounted })
    }
  }
  return { metadata, content, contentBytes, complete: metadata.length === 0, newlyWhole, wholeOnArrival, historyLeftOut }
}

/** Everything missing for `roots`, metadata first, as one stream (the want-set of one moment). */
export async function * missingObjects (opts: WantSetOptions): AsyncGenerator<WantedObject> {
  const set = await computeWantSet(opts)
  yield * set.metadata
  yield * set.content
}
