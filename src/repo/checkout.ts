import { GasError } from '../errors.js'
import { decodeFileManifestLazily } from '../objects/file-manifest.js'
import type { ObjectId } from '../objects/id.js'
import { workingFileState } from './local-changes.js'
import { readMergeState, writeMergeState, type PathConflict } from './merge-state.js'
import type { PreparedContent } from './arriving-files.js'
import { writeFileContent } from './restore.js'
import { streamIndex } from './index-stream.js'
import { readIndex, writeIndex, type IndexEntry } from './staging-index.js'
import { statForIndex } from './stat-stamp.js'
import { flattenTree, readAsset, readTyped, readVersion } from './tree-io.js'
import type { Workspace } from './workspace.js'

export interface CheckoutResult {
  version: ObjectId
  written: string[]
  removed: string[]
  skipped: Array<{ path: string, reason: string }>
  /** incoming changes to paths with local work not committed: kept apart, waiting on `gas resolve` */
  conflicts: PathConflict[]
}

/**
 * Brings the workspace files to `version` (after a sync moved the branch): writes every changed asset
 * whose content is here, removes assets the version dropped, and stages the version as the index.
 * Pending work is never overwritten, nor silently outvoted: a path the new version changes that
 * holds an edit not staged, or an asset staged since `previous` (the version the branch held
 * before), becomes a conflict recorded in merge.json (as git refuses "your local changes would be
 * overwritten"), so the next commit cannot record the local work over the incoming change.
 */
export async function checkoutVersion (ws: Workspace, version: ObjectId, previous: ObjectId | undefined, prepared?: PreparedContent): Promise<CheckoutResult> {
  return await ws.withLock(async () => {
    const before = previous === undefined ? new Map<string, ObjectId>() : await flattenTree(ws.store, (await readVersion(ws.store, previous)).tree)
    const target = await flattenTree(ws.store, (await readVersion(ws.store, version)).tree)
    const result = await checkoutTree(ws, { target, before, base: version, prepared })
    if (result.conflicts.length > 0) {
      const waiting = await readMergeState(ws)
      const kept = (waiting?.conflicts ?? []).filter((c) => !result.conflicts.some((n) => n.path === c.path))
      await writeMergeState(ws, {
        ours: waiting?.ours ?? previous ?? version,
        theirs: waiting?.theirs ?? version,
        from: waiting?.from ?? `version ${version.slice(0, 12)}`,
        conflicts: [...kept, ...result.conflicts]
      })
    }
    return result
  })
}

/**
 * Brings the workspace to the branch head when the index is not there yet: after a sync moved the
 * branch, and equally after a sync killed between moving the branch and writing the files (the
 * index's base says which version the files are at, so nothing is skipped for good).
 * Returns null when the workspace is at the head already.
 */
export async function checkoutHead (ws: Workspace, prepared?: PreparedContent): Promise<CheckoutResult | null> {
  return await ws.withLock(async () => {
    const head = await ws.head()
    // the header line only: a sync with nothing new must not parse a 200 000-entry index
    const base = (await streamIndex(ws.fs, ws.gasDir)).base
    if (head === undefined || head === base) return null
    return await checkoutVersion(ws, head, base ?? undefined, prepared)
  })
}

/**
 * The same for any path → asset map (a merge result); `base` becomes the index's base version.
 * Returns the conflicts with local work; the caller records them. `prepared`: content a sync
 * already wrote and verified (arriving-files.ts), moved into place instead of written again.
 */
export async function checkoutTree (ws: Workspace, opts: CheckoutTreeOptions): Promise<CheckoutResult> {
  return await ws.withLock(async () => await checkoutLocked(ws, opts))
}

interface CheckoutTreeOptions { target: Map<string, ObjectId>, before: Map<string, ObjectId>, base: ObjectId, prepared?: PreparedContent }

async function checkoutLocked (ws: Workspace, opts: CheckoutTreeOptions): Promise<CheckoutResult> {
  const { target, before, base: version } = opts
  const index = await readIndex(ws.fs, ws.gasDir)
  // staged since the last version: the user's pending work, never replaced by a peer's
  const staged = (path: string): boolean => index.entries[path] !== undefined && index.entries[path].asset !== before.get(path)
  const result: CheckoutResult = { version, written: [], removed: [], skipped: [], conflicts: [] }
  const entries: Record<string, IndexEntry> = {}
  /** local work on a path the incoming side changes: kept as it is, and a conflict */
  const keepLocal = (path: string, local: 'staged' | 'edited', theirs: ObjectId | null): void => {
    const current = index.entries[path]
    if (current !== undefined) entries[path] = current
    result.skipped.push({ path, reason: local === 'staged' ? 'staged changes' : 'edited locally' })
    if ((before.get(path) ?? null) !== theirs) result.conflicts.push({ path, base: before.get(path) ?? null, ours: current?.asset ?? null, theirs, local })
  }
  for (const [path, assetId] of target) {
    const current = index.entries[path]
    if (current?.asset === assetId) { entries[path] = current; continue }
    if (staged(path)) { keepLocal(path, 'staged', assetId); continue }
    const asset = await readAsset(ws.store, assetId)
    if (current?.meta.file === asset.file) { entries[path] = { ...current, asset: assetId, meta: asset }; continue }
    if (await workingFileState(ws, path, current) === 'edited') { keepLocal(path, 'edited', assetId); continue }
    try {
      // lazily: a file prepared while it arrived needs no chunk list, and a write walks it once (a 10 GB file's is ~25 MiB decoded)
      const manifest = decodeFileManifestLazily(await readTyped(ws.store, asset.file, 'file'))
      if (opts.prepared === undefined || !await opts.prepared.take(manifest, ws.absolutePath(path))) await writeFileContent(ws.fs, ws.store, manifest, ws.absolutePath(path))
    } catch (err) {
      // content selective sync did not fetch: still tracked (the version holds it), just not on
      // disk here, and the next commit keeps it. Anything else (a full disk, no permission, a
      // damaged object) is the user's to know, with its cause.
      if (!(err instanceof GasError && err.code === 'E_NOT_FOUND' && err.data.id !== undefined)) throw err
      // the previous version's file, unedited, would pass for this one: it goes (its content stays in the store)
      if (current !== undefined) await ws.fs.rm(ws.absolutePath(path), { force: true })
      result.skipped.push({ path, reason: 'content not here (selective sync)' })
      entries[path] = { asset: assetId, meta: asset, mtimeMs: -1 }
      continue
    }
    const st = await statForIndex(ws.fs, ws.absolutePath(path))
    entries[path] = { asset: assetId, meta: asset, mtimeMs: st.mtimeMs, stat: st.stamp }
    result.written.push(path)
  }
  for (const [path, entry] of Object.entries(index.entries)) {
    if (target.has(path)) continue
    if (staged(path)) { keepLocal(path, 'staged', null); continue }
    if (await workingFileState(ws, path, entry) === 'edited') { keepLocal(path, 'edited', null); continue }
    await ws.fs.rm(ws.absolutePath(path), { force: true })
    result.removed.push(path)
  }
  await writeIndex(ws.fs, ws.gasDir, { base: version, entries })
  return result
}
