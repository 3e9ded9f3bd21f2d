import { GasError } from '../errors.js'
import { decodeFileManifest } from '../objects/file-manifest.js'
import type { ObjectId } from '../objects/id.js'
import { addPaths } from './add.js'
import { readMergeState, writeMergeState, type PathConflict } from './merge-state.js'
import { writeFileContent } from './restore.js'
import { resolveRevision } from './rev-parse.js'
import { readIndex, writeIndex } from './staging-index.js'
import { lookupPath, readAsset, readTyped, readVersion } from './tree-io.js'
import type { Workspace } from './workspace.js'

/** The paths a waiting merge still needs a decision on (empty when no merge waits). */
export async function listConflicts (ws: Workspace): Promise<{ from: string | null, ours: ObjectId | null, theirs: ObjectId | null, conflicts: PathConflict[] }> {
  const state = await readMergeState(ws)
  return { from: state?.from ?? null, ours: state?.ours ?? null, theirs: state?.theirs ?? null, conflicts: state?.conflicts ?? [] }
}

/**
 * Settles one conflicting path: ours, theirs, or the asset as it is in any version. The choice is
 * written to the workspace and staged; `gas commit` records the merge once none is left.
 */
export async function resolveConflict (ws: Workspace, opts: { path: string, take: string, cwd?: string }): Promise<{ path: string, asset: ObjectId | null, left: number }> {
  const path = ws.relativePath(opts.path, opts.cwd)
  return await ws.withLock(async () => await resolveLocked(ws, path, opts.take))
}

async function resolveLocked (ws: Workspace, path: string, take: string): Promise<{ path: string, asset: ObjectId | null, left: number }> {
  const state = await readMergeState(ws)
  const conflict = state?.conflicts.find((c) => c.path === path)
  if (state === null || conflict === undefined) throw GasError.notFound(`a conflict on ${path} (see \`gas conflicts\`)`, { path })
  const left = state.conflicts.filter((c) => c.path !== path)
  // a fast-forward that met local work needs no second parent: once settled, nothing waits
  const settled = async (): Promise<void> => await writeMergeState(ws, left.length === 0 && state.ours !== await ws.head() ? null : { ...state, conflicts: left })
  if (take === 'ours' && conflict.local !== undefined) {
    // ours is the work in the workspace: the edited file (staged now) or what is staged already
    let asset: ObjectId | null = (await readIndex(ws.fs, ws.gasDir)).entries[path]?.asset ?? null
    if (conflict.local === 'edited') asset = (await addPaths(ws, { paths: [ws.absolutePath(path)] })).find((a) => a.path === path && a.removed !== true)?.asset ?? null
    await settled()
    return { path, asset, left: left.length }
  }
  let chosen: ObjectId | null
  if (take === 'ours') chosen = conflict.ours
  else if (take === 'theirs') chosen = conflict.theirs
  else chosen = (await lookupPath(ws.store, (await readVersion(ws.store, await resolveRevision(ws, take))).tree, path)) ?? null
  const index = await readIndex(ws.fs, ws.gasDir)
  if (chosen === null) {
    delete index.entries[path]
    await ws.fs.rm(ws.absolutePath(path), { force: true })
  } else {
    const asset = await readAsset(ws.store, chosen)
    await writeFileContent(ws.fs, ws.store, decodeFileManifest(await readTyped(ws.store, asset.file, 'file')), ws.absolutePath(path))
    index.entries[path] = { asset: chosen, meta: asset, mtimeMs: (await ws.fs.stat(ws.absolutePath(path))).mtimeMs }
  }
  await writeIndex(ws.fs, ws.gasDir, index)
  await settled()
  return { path, asset: chosen, left: left.length }
}
