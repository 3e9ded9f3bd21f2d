import { decodeFileManifest } from '../objects/file-manifest.js'
import type { ObjectId } from '../objects/id.js'
import { writeFileContent } from './restore.js'
import { readIndex, writeIndex, type IndexEntry } from './staging-index.js'
import { flattenTree, readAsset, readTyped, readVersion } from './tree-io.js'
import type { Workspace } from './workspace.js'

export interface CheckoutResult { version: ObjectId, written: string[], removed: string[], skipped: Array<{ path: string, reason: string }> }

/**
 * Brings the workspace files to `version` (after a sync moved the branch): writes every changed asset
 * whose content is here, removes assets the version dropped, and stages the version as the index.
 * Pending work is never overwritten: a file edited since it was staged, or staged since `previous`
 * (the version the branch held before), is skipped and reported; so is content selective sync did
 * not fetch.
 */
export async function checkoutVersion (ws: Workspace, version: ObjectId, previous: ObjectId | undefined): Promise<CheckoutResult> {
  const before = previous === undefined ? new Map<string, ObjectId>() : await flattenTree(ws.store, (await readVersion(ws.store, previous)).tree)
  const target = await flattenTree(ws.store, (await readVersion(ws.store, version)).tree)
  return await checkoutTree(ws, { target, before, base: version })
}

/** The same for any path → asset map (a merge result); `base` becomes the index's base version. */
export async function checkoutTree (ws: Workspace, opts: { target: Map<string, ObjectId>, before: Map<string, ObjectId>, base: ObjectId }): Promise<CheckoutResult> {
  const { target, before, base: version } = opts
  const index = await readIndex(ws.fs, ws.gasDir)
  // staged since the last version: the user's pending work, never replaced by a peer's
  const staged = (path: string): boolean => index.entries[path] !== undefined && index.entries[path].asset !== before.get(path)
  const result: CheckoutResult = { version, written: [], removed: [], skipped: [] }
  const entries: Record<string, IndexEntry> = {}
  const locallyEdited = async (path: string, entry: IndexEntry | undefined): Promise<boolean> => {
    const st = await ws.fs.stat(ws.absolutePath(path)).catch(() => undefined)
    if (st === undefined) return false
    return entry === undefined || st.mtimeMs !== entry.mtimeMs || st.size !== entry.meta.size
  }
  for (const [path, assetId] of target) {
    const current = index.entries[path]
    if (current?.asset === assetId) { entries[path] = current; continue }
    if (staged(path)) { result.skipped.push({ path, reason: 'staged changes' }); entries[path] = current; continue }
    const asset = await readAsset(ws.store, assetId)
    if (current?.meta.file === asset.file) { entries[path] = { ...current, asset: assetId, meta: asset }; continue }
    if (await locallyEdited(path, current)) { result.skipped.push({ path, reason: 'edited locally' }); if (current !== undefined) entries[path] = current; continue }
    try {
      await writeFileContent(ws.fs, ws.store, decodeFileManifest(await readTyped(ws.store, asset.file, 'file')), ws.absolutePath(path))
    } catch {
      // still tracked (the version holds it), just not on disk here: the next commit keeps it
      // the previous version's file, unedited, would pass for this one: it goes (its content stays in the store)
      if (current !== undefined) await ws.fs.rm(ws.absolutePath(path), { force: true })
      result.skipped.push({ path, reason: 'content not here (selective sync) or unreadable' })
      entries[path] = { asset: assetId, meta: asset, mtimeMs: -1 }
      continue
    }
    const st = await ws.fs.stat(ws.absolutePath(path))
    entries[path] = { asset: assetId, meta: asset, mtimeMs: st.mtimeMs }
    result.written.push(path)
  }
  for (const [path, entry] of Object.entries(index.entries)) {
    if (target.has(path)) continue
    if (staged(path)) { result.skipped.push({ path, reason: 'staged changes' }); entries[path] = entry; continue }
    if (await locallyEdited(path, entry)) { result.skipped.push({ path, reason: 'edited locally' }); entries[path] = entry; continue }
    await ws.fs.rm(ws.absolutePath(path), { force: true })
    result.removed.push(path)
  }
  await writeIndex(ws.fs, ws.gasDir, { base: version, entries })
  return result
}
