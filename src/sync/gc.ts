import { decodeAsset, type Asset } from '../objects/asset.js'
import { decodeFileManifest } from '../objects/file-manifest.js'
import type { ObjectId } from '../objects/id.js'
import { decodeTag } from '../objects/tag.js'
import { decodeVersion, type Version } from '../objects/version.js'
import { companionOf } from '../repo/engine.js'
import { readIndex, writeIndex } from '../repo/staging-index.js'
import { flattenTree } from '../repo/tree-io.js'
import type { Workspace } from '../repo/workspace.js'
import { companionIn, foldersOf } from './companions.js'
import { rewritePacksWithout } from './pack-prune.js'
import type { SyncPolicy } from './policy.js'
import { loadWorkspacePolicy } from './workspace-policy.js'

/**
 * `gas gc`: drops local content the policy no longer wants.
 *
 * The rule that keeps the team's last copy: a chunk is dropped only when
 *   1. no asset the policy wants, in any version the refs reach, uses it;
 *   2. no asset this member authored (added or changed in a version they signed) uses it;
 *   3. nothing staged uses it.
 * Every chunk entered the team through the member who authored it, and (2) means that member's gc
 * never drops it: the author's store always holds it, whoever else drops their copy. What a member
 * drops is therefore only content others made, which the author still has. Metadata (versions,
 * trees, assets, manifests, previews) is never dropped.
 */
export const GC_RULE = 'drops only content no wanted asset, no asset you authored and nothing staged uses: the author of every asset always keeps its content'

export interface GcResult {
  /** chunks and raw bytes dropped */
  dropped: { chunks: number, bytes: number }
  /** workspace paths whose content was dropped (their files removed when unmodified) */
  paths: string[]
  /** unwanted paths kept because this member authored them */
  keptAuthored: string[]
  rule: string
}

export async function gc (ws: Workspace, opts: { policy?: SyncPolicy, dryRun?: boolean } = {}): Promise<GcResult> {
  const policy = opts.policy ?? (await loadWorkspacePolicy(ws)).policy
  await ws.store.flush()
  const versions = await reachableVersions(ws)
  const keep = new Set<ObjectId>() // asset ids whose content stays
  const drop = new Map<ObjectId, string>() // asset id → a path, for the report
  const authored = new Set<ObjectId>()
  const assets = new Map<ObjectId, Asset>()
  const assetOf = async (id: ObjectId): Promise<Asset | undefined> => {
    let asset = assets.get(id)
    if (asset === undefined && await ws.store.has(id)) {
      asset = decodeAsset((await ws.store.get(id)).body)
      assets.set(id, asset)
    }
    return asset
  }
  const flat = new Map<ObjectId, Map<string, ObjectId>>()
  const flatOf = async (treeId: ObjectId): Promise<Map<string, ObjectId>> => {
    let paths = flat.get(treeId)
    if (paths === undefined) {
      paths = await flattenTree(ws.store, treeId).catch(() => new Map<string, ObjectId>())
      flat.set(treeId, paths)
    }
    return paths
  }
  for (const [, version] of versions) {
    const paths = await flatOf(version.tree)
    let folders: Set<string> | undefined
    const mine = version.author.publicKey === ws.identity.publicKey
    // why every parent: a merge of ours lists the other side's changes against our first parent;
    // counted as ours, a merge made its author "the author" of what it took in (gc kept, and said
    // `you authored it` of, a teammate's file). A parent not here counts as holding nothing (kept).
    const befores = mine ? await Promise.all(version.parents.map(async (p) => { const v = versions.get(p); return v === undefined ? new Map<string, ObjectId>() : await flatOf(v.tree) })) : []
    for (const [path, id] of paths) {
      if (mine && befores.every((before) => before.get(path) !== id)) authored.add(id)
      if (keep.has(id)) continue
      const asset = await assetOf(id)
      if (asset === undefined) continue
      let companion
      if (companionOf(path) !== undefined) {
        folders ??= foldersOf(paths.keys())
        const partnerId = paths.get(companionOf(path) ?? '')
        const partner = partnerId === undefined ? undefined : await assetOf(partnerId)
        companion = companionIn(path, () => partner, folders)
      }
      if (policy.wants(path, asset, companion)) keep.add(id)
      else drop.set(id, path)
    }
  }
  // staged since the version checked out: the user's pending work
  const index = await readIndex(ws.fs, ws.gasDir)
  const base = index.base === null ? undefined : versions.get(index.base)
  const checkedOut = base === undefined ? new Map<string, ObjectId>() : await flatOf(base.tree)
  for (const [path, entry] of Object.entries(index.entries)) if (checkedOut.get(path) !== entry.asset) keep.add(entry.asset)
  const keptAuthored: string[] = []
  for (const id of authored) {
    keep.add(id)
    const path = drop.get(id)
    if (path !== undefined) keptAuthored.push(path)
  }
  for (const id of keep) drop.delete(id)

  const keepChunks = new Set<ObjectId>()
  for (const id of keep) for (const chunk of await chunksOf(ws, assets.get(id) ?? await assetOf(id))) keepChunks.add(chunk.id)
  const dropChunks = new Map<ObjectId, number>()
  for (const id of drop.keys()) {
    for (const chunk of await chunksOf(ws, assets.get(id))) {
      if (!keepChunks.has(chunk.id) && ws.store.hasPacked(chunk.id)) dropChunks.set(chunk.id, chunk.length)
    }
  }
  const result: GcResult = {
    dropped: { chunks: dropChunks.size, bytes: [...dropChunks.values()].reduce((a, b) => a + b, 0) },
    paths: [...new Set(drop.values())].sort(),
    keptAuthored: [...new Set(keptAuthored)].sort(),
    rule: GC_RULE
  }
  if (opts.dryRun === true || dropChunks.size === 0) return result
  await rewritePacksWithout(ws.store, new Set(dropChunks.keys()))
  // the dropped content no longer makes any tree whole
  await ws.store.completeTrees.clear()
  // workspace files of dropped content go too, unless edited since (then they are the user's work)
  const current = await readIndex(ws.fs, ws.gasDir)
  let changed = false
  for (const [path, entry] of Object.entries(current.entries)) {
    if (!drop.has(entry.asset) || entry.mtimeMs === -1) continue
    const st = await ws.fs.stat(ws.absolutePath(path)).catch(() => undefined)
    if (st !== undefined && (st.mtimeMs !== entry.mtimeMs || st.size !== entry.meta.size)) continue
    await ws.fs.rm(ws.absolutePath(path), { force: true })
    current.entries[path] = { ...entry, mtimeMs: -1 }
    changed = true
  }
  if (changed) await writeIndex(ws.fs, ws.gasDir, current)
  return result
}

async function chunksOf (ws: Workspace, asset: Asset | undefined): Promise<Array<{ id: ObjectId, length: number }>> {
  if (asset === undefined || !(await ws.store.has(asset.file))) return []
  return decodeFileManifest((await ws.store.get(asset.file)).body).chunks
}

/** refs/git/<repo> and a peer's view of it (refs/remotes/<peer>/git/<repo>) */
const GIT_STATE_REF = /^refs\/(remotes\/[^/]+\/)?git\//

/**
 * Every version the refs reach (branches, tags, remotes), by id; not git repositories' states
 * (refs/git/): their packs are git's objects, not workspace files the rules choose among (it listed
 * `refs` and `packs/….pack` as unwanted assets), and a serve keeps them whole for the team's clones.
 */
async function reachableVersions (ws: Workspace): Promise<Map<ObjectId, Version>> {
  const out = new Map<ObjectId, Version>()
  const queue: ObjectId[] = []
  for (const ref of await ws.refs.list()) if (!GIT_STATE_REF.test(ref.name)) queue.push(ref.id)
  while (queue.length > 0) {
    const id = queue.pop() as ObjectId
    if (out.has(id) || !(await ws.store.has(id))) continue
    const object = await ws.store.get(id)
    if (object.type === 'tag') { queue.push(decodeTag(object.body).object); continue }
    if (object.type !== 'version') continue
    const version = decodeVersion(object.body)
    out.set(id, version)
    queue.push(...version.parents)
  }
  return out
}
