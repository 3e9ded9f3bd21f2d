import { GasError } from '../errors.js'
import { decodeFileManifest } from '../objects/file-manifest.js'
import type { ObjectId } from '../objects/id.js'
import { addPaths } from './add.js'
import { workingFileState } from './local-changes.js'
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
 * written to the workspace and staged; `gas commit` records the merge once none is left. Ours is
 * the work in the workspace when there is any (a hand merge saved over the file, or staged): it is
 * staged as it is. Theirs or a version never overwrites a file with changes that are not staged,
 * unless `force`.
 */
export async function resolveConflict (ws: Workspace, opts: { path: string, take: string, cwd?: string, force?: boolean }): Promise<{ path: string, asset: ObjectId | null, left: number, kept?: 'workspace' }> {
  const path = ws.relativePath(opts.path, opts.cwd)
  return await ws.withLock(async () => await resolveLocked(ws, path, opts.take, opts.force === true))
}

async function resolveLocked (ws: Workspace, path: string, take: string, force: boolean): Promise<{ path: string, asset: ObjectId | null, left: number, kept?: 'workspace' }> {
  const state = await readMergeState(ws)
  const conflict = state?.conflicts.find((c) => c.path === path)
  if (state === null || conflict === undefined) throw GasError.notFound(`a conflict on ${path} (see \`gas conflicts\`)`, { path })
  const left = state.conflicts.filter((c) => c.path !== path)
  // a fast-forward that met local work needs no second parent: once settled, nothing waits
  const settled = async (): Promise<void> => await writeMergeState(ws, left.length === 0 && state.ours !== await ws.head() ? null : { ...state, conflicts: left })
  const index = await readIndex(ws.fs, ws.gasDir)
  const staged = index.entries[path]
  const working = await workingFileState(ws, path, staged)
  // work in the workspace: there when the merge stopped, or done since (a hand merge saved, or staged with `gas add`)
  const localWork = conflict.local !== undefined || working === 'edited' || (staged?.asset ?? null) !== conflict.ours
  if (take === 'ours' && localWork) {
    // ours is the work in the workspace: the edited file (staged now) or what is staged already
    let asset: ObjectId | null = staged?.asset ?? null
    if (working === 'edited') asset = (await addPaths(ws, { paths: [ws.absolutePath(path)] })).find((a) => a.path === path && a.removed !== true)?.asset ?? null
    await settled()
    return { path, asset, left: left.length, kept: 'workspace' }
  }
  let chosen: ObjectId | null
  if (take === 'ours') chosen = conflict.ours
  else if (take === 'theirs') chosen = conflict.theirs
  else chosen = (await lookupPath(ws.store, (await readVersion(ws.store, await resolveRevision(ws, take))).tree, path)) ?? null
  if (take !== 'ours' && working === 'edited' && !force) {
    throw new GasError('E_LOCAL_CHANGES', `${path} has changes that are not staged (a hand merge?); taking ${take} would overwrite them: \`gas resolve ${path} --take ours\` keeps the file as it is in the workspace, or pass --force to discard them`, { path })
  }
  // a hand merge staged with `gas add` is in no version yet: dropping it is asked for with force too
  if (take !== 'ours' && staged !== undefined && staged.asset !== conflict.ours && staged.asset !== chosen && !force) {
    throw new GasError('E_LOCAL_CHANGES', `${path} has a staged version no commit holds (a hand merge?); taking ${take} would drop it: \`gas resolve ${path} --take ours\` keeps it, or pass --force to drop it`, { path })
  }
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
