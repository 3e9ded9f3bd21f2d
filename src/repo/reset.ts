import { GasError, isGasError } from '../errors.js'
import type { ObjectId } from '../objects/id.js'
import { contentHere } from './content-here.js'
import { readMergeState, writeMergeState } from './merge-state.js'
import { readIndex, writeIndex, type IndexEntry, type StagingIndex } from './staging-index.js'
import { flattenTree, readAsset, readVersion } from './tree-io.js'
import type { Workspace } from './workspace.js'

export interface ResetResult {
  /** paths whose staged state went back to HEAD's (changed, added or removed since HEAD) */
  unstaged: string[]
  /** the index could not be read and was made again from HEAD */
  rebuilt: boolean
  /** a merge was waiting and a whole reset gave it up (the other side stays under refs/remotes/) */
  abandonedMerge: string | null
}

/**
 * `gas reset [PATH...]`: git's `reset` (mixed) for the staging index. The named paths (folders
 * too), or every path, are staged as HEAD has them: an add undone, a staged removal undone, a new
 * file untracked again. Files in the workspace are never touched: an edit stays, now "not staged".
 * With no PATH the index is made from HEAD without needing the old one, which is how a damaged
 * `.gas/index.json` is repaired (its error message sends the user here). A whole reset during a
 * merge gives the merge up, as git's does; the other side's version stays where the sync put it.
 * An entry whose asset stays the same keeps its stat stamp; a new one has none, so `gas status`
 * reads that file once rather than trust a stamp nobody checked.
 */
export async function resetIndex (ws: Workspace, opts: { paths?: string[], cwd?: string } = {}): Promise<ResetResult> {
  return await ws.withLock(async () => await resetLocked(ws, opts.paths ?? [], opts.cwd))
}

async function resetLocked (ws: Workspace, paths: string[], cwd?: string): Promise<ResetResult> {
  const head = await ws.head()
  const target = head === undefined ? new Map<string, ObjectId>() : await flattenTree(ws.store, (await readVersion(ws.store, head)).tree)
  let old: StagingIndex | undefined
  try {
    old = await readIndex(ws.fs, ws.gasDir)
  } catch (err) {
    if (!isGasError(err, 'E_CORRUPT_OBJECT') || paths.length > 0) throw err
  }
  const chosen = paths.length === 0 ? undefined : matchingPaths(ws, paths, cwd, target, old?.entries ?? {})
  const entries: Record<string, IndexEntry> = {}
  const unstaged: string[] = []
  for (const [path, entry] of Object.entries(old?.entries ?? {})) {
    if (chosen !== undefined && !chosen.has(path)) entries[path] = entry
    else if (entry.asset !== target.get(path)) unstaged.push(path)
  }
  for (const [path, asset] of target) {
    if (chosen !== undefined && !chosen.has(path)) continue
    const before = old?.entries[path]
    if (before?.asset === asset) { entries[path] = before; continue }
    if (old !== undefined && before === undefined) unstaged.push(path)
    entries[path] = await entryFromHead(ws, path, asset)
  }
  await writeIndex(ws.fs, ws.gasDir, { base: head ?? null, entries })
  let abandonedMerge: string | null = null
  if (chosen === undefined) {
    const merge = await readMergeState(ws).catch(() => null)
    if (merge !== null) abandonedMerge = merge.from
    await writeMergeState(ws, null)
  }
  return { unstaged: unstaged.sort(), rebuilt: old === undefined, abandonedMerge }
}

/** The index and HEAD paths each argument names (the path or a folder above it); E_NOT_FOUND for one that names none. */
function matchingPaths (ws: Workspace, args: string[], cwd: string | undefined, target: Map<string, ObjectId>, staged: Record<string, IndexEntry>): Set<string> {
  const known = new Set([...target.keys(), ...Object.keys(staged)])
  const chosen = new Set<string>()
  for (const arg of args) {
    const rel = ws.relativePath(arg, cwd)
    const matches = [...known].filter((path) => rel === '' || path === rel || path.startsWith(`${rel}/`))
    if (matches.length === 0) throw GasError.notFound(`staged or committed asset ${rel}`, { path: rel })
    for (const path of matches) chosen.add(path)
  }
  return chosen
}

/** HEAD's asset as an index entry: no stat stamp; not fetched (-1) when neither the file nor its content is here. */
async function entryFromHead (ws: Workspace, path: string, asset: ObjectId): Promise<IndexEntry> {
  const meta = await readAsset(ws.store, asset)
  const onDisk = await ws.fs.stat(ws.absolutePath(path)).then((st) => st.isFile(), () => false)
  // why 0: no stamp matches it, so status hashes the file against HEAD's content before calling it clean
  return { asset, meta, mtimeMs: onDisk || await contentHere(ws, meta.file) ? 0 : -1 }
}
