import { GasError } from '../errors.js'
import type { Asset } from '../objects/asset.js'
import { decodeFileManifest, decodeFileManifestLazily, type FileManifest } from '../objects/file-manifest.js'
import type { ObjectId } from '../objects/id.js'
import { writeFileContent } from '../repo/restore.js'
import { contentHere } from '../repo/content-here.js'
import { resolveRevision } from '../repo/rev-parse.js'
import { lookupPath, readAsset, readVersion } from '../repo/tree-io.js'
import { streamIndex } from '../repo/index-stream.js'
import { readIndex, writeIndex } from '../repo/staging-index.js'
import type { Workspace } from '../repo/workspace.js'
import type { PreparedContent } from '../repo/arriving-files.js'
import type { WantContent } from './want-set.js'
import { companionIn, foldersOf } from './companions.js'

/** One asset `gas fetch` gets: its workspace path and file manifest. */
export interface FetchTarget { path: string, asset: ObjectId, meta: Asset }

export interface FetchPlan {
  targets: FetchTarget[]
  /** what to ask the peers for: the file manifests (their chunks come with them) */
  roots: ObjectId[]
}

export async function readManifest (ws: Workspace, fileId: ObjectId): Promise<FileManifest | undefined> {
  if (!(await ws.store.has(fileId))) return undefined
  return decodeFileManifest((await ws.store.get(fileId)).body)
}

/**
 * `gas fetch PATH...`: the tracked assets at or below each path whose content is not all here.
 * A path that names nothing tracked is an E_NOT_FOUND.
 */
export async function planFetch (ws: Workspace, opts: { paths: string[], cwd?: string }): Promise<FetchPlan> {
  if (opts.paths.length === 0) throw GasError.badArgument('name the assets or folders to fetch')
  const { entries } = await readIndex(ws.fs, ws.gasDir)
  const targets: FetchTarget[] = []
  for (const userPath of opts.paths) {
    const rel = ws.relativePath(userPath, opts.cwd)
    const matches = Object.keys(entries).filter((p) => rel === '' || p === rel || p.startsWith(`${rel}/`)).sort()
    if (matches.length === 0) throw GasError.notFound(`tracked asset ${rel}`, { path: rel })
    for (const path of matches) {
      const { asset, meta } = entries[path]
      if (!(await contentHere(ws, meta.file)) && !targets.some((t) => t.path === path)) targets.push({ path, asset, meta })
    }
  }
  return { targets, roots: [...new Set(targets.map((t) => t.meta.file))] }
}

export interface WrittenFetch {
  written: string[]
  /** content still not here (no peer had it) */
  missing: string[]
  /** fetched, but a file the index does not describe stands at the path: left alone */
  skipped: string[]
}

/**
 * After the peers answered: writes each fetched asset into the workspace (where no file of the
 * user's stands in the way) and records it in the index; the ones still incomplete are `missing`.
 */
export async function writeFetched (ws: Workspace, plan: FetchPlan, prepared?: PreparedContent): Promise<WrittenFetch> {
  const index = await readIndex(ws.fs, ws.gasDir)
  const out: WrittenFetch = { written: [], missing: [], skipped: [] }
  for (const target of plan.targets) {
    const manifest = await readManifest(ws, target.meta.file)
    if (manifest === undefined || !(await contentHere(ws, target.meta.file))) { out.missing.push(target.path); continue }
    const entry = index.entries[target.path]
    const abs = ws.absolutePath(target.path)
    const st = await ws.fs.stat(abs).catch(() => undefined)
    const upToDate = st !== undefined && entry !== undefined && entry.mtimeMs !== -1 && st.mtimeMs === entry.mtimeMs && st.size === entry.meta.size
    if (entry?.asset !== target.asset || (st !== undefined && !upToDate)) { out.skipped.push(target.path); continue }
    if (st === undefined) {
      if (prepared === undefined || !await prepared.take(manifest, abs)) await writeFileContent(ws.fs, ws.store, manifest, abs)
      index.entries[target.path] = { ...entry, mtimeMs: (await ws.fs.stat(abs)).mtimeMs }
    }
    out.written.push(target.path)
  }
  await writeIndex(ws.fs, ws.gasDir, index)
  return out
}

/** `gas restore PATH` of an asset whose content is not here: the file manifest to fetch first (none when it is here). */
export async function contentToFetchFor (ws: Workspace, opts: { path: string, rev: string, cwd?: string }): Promise<ObjectId[]> {
  const path = ws.relativePath(opts.path, opts.cwd)
  const version = await readVersion(ws.store, await resolveRevision(ws, opts.rev))
  const assetId = await lookupPath(ws.store, version.tree, path)
  if (assetId === undefined) return []
  const asset = await readAsset(ws.store, assetId)
  return (await contentHere(ws, asset.file)) ? [] : [asset.file]
}

/** After a restore in place of the asset the index tracks there: the file is now on disk, so the index says so. */
export async function recordRestored (ws: Workspace, opts: { path: string, asset: ObjectId, out: string }): Promise<void> {
  if (opts.out !== ws.absolutePath(opts.path)) return
  const index = await readIndex(ws.fs, ws.gasDir)
  const entry = index.entries[opts.path]
  if (entry?.asset !== opts.asset || entry.mtimeMs !== -1) return
  index.entries[opts.path] = { ...entry, mtimeMs: (await ws.fs.stat(opts.out)).mtimeMs }
  await writeIndex(ws.fs, ws.gasDir, index)
}

/**
 * After a sync: tracked files whose content was not here and now is (a rules, role or override
 * change made them wanted) are written, when no file stands at their path. Only wanted entries
 * are looked at, so a programmer's 100 000 unfetched textures cost a policy question each.
 */
export async function writeNewlyWanted (ws: Workspace, wants: WantContent): Promise<string[]> {
  // a streamed look first: most syncs track nothing without content, and need not hold the index whole
  let anyWithoutContent = false
  for await (const [, entry] of (await streamIndex(ws.fs, ws.gasDir)).entries) {
    if (entry.mtimeMs === -1) { anyWithoutContent = true; break }
  }
  if (!anyWithoutContent) return []
  const index = await readIndex(ws.fs, ws.gasDir)
  const written: string[] = []
  let folders: Set<string> | undefined
  for (const [path, entry] of Object.entries(index.entries)) {
    if (entry.mtimeMs !== -1) continue
    folders ??= foldersOf(Object.keys(index.entries))
    if (!wants(path, entry.meta, companionIn(path, (p) => index.entries[p]?.meta, folders))) continue
    const manifest = await readManifest(ws, entry.meta.file)
    if (manifest === undefined || !(await contentHere(ws, entry.meta.file))) continue
    const abs = ws.absolutePath(path)
    if (await ws.fs.stat(abs).then(() => true, () => false)) continue
    await writeFileContent(ws.fs, ws.store, manifest, abs)
    index.entries[path] = { ...entry, mtimeMs: (await ws.fs.stat(abs)).mtimeMs }
    written.push(path)
  }
  if (written.length > 0) await writeIndex(ws.fs, ws.gasDir, index)
  return written
}
