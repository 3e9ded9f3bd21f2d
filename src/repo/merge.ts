import { GasError } from '../errors.js'
import type { ObjectId } from '../objects/id.js'
import { checkoutTree, type CheckoutResult } from './checkout.js'
import { commit } from './commit.js'
import { workingFileState } from './local-changes.js'
import { mergeBase } from './merge-base.js'
import { readMergeState, writeMergeState, type PathConflict } from './merge-state.js'
import { readIndex } from './staging-index.js'
import { flattenTree, readVersion } from './tree-io.js'
import type { Workspace } from './workspace.js'

export type { PathConflict }

export interface MergeResult { version: ObjectId | null, conflicts: PathConflict[], checkout: CheckoutResult }

/**
 * Three-way merge at the asset level (binary assets have no line merge): a path changed on one side
 * takes that side; a path changed on both sides the same way is fine; changed differently, it is a
 * conflict that keeps ours in the workspace until `gas resolve` picks. With no conflict the merge
 * version is committed at once (both heads as parents), so nothing either side made is lost.
 */
export async function mergeVersion (ws: Workspace, opts: { theirs: ObjectId, from: string }): Promise<MergeResult> {
  return await ws.withLock(async () => await mergeLocked(ws, opts))
}

async function mergeLocked (ws: Workspace, opts: { theirs: ObjectId, from: string }): Promise<MergeResult> {
  const ours = await ws.head()
  if (ours === undefined) throw GasError.badArgument('nothing to merge into: commit a version first')
  if (await readMergeState(ws) !== null) throw new GasError('E_CONFLICT', 'a merge is already waiting: `gas conflicts`, then `gas resolve` and `gas commit`')
  const index = await readIndex(ws.fs, ws.gasDir)
  const oursTree = await flattenTree(ws.store, (await readVersion(ws.store, ours)).tree)
  const pending = Object.keys(index.entries).length !== oursTree.size || Object.entries(index.entries).some(([p, e]) => oursTree.get(p) !== e.asset)
  if (pending) throw new GasError('E_CONFLICT', 'staged changes are not committed yet: commit them, then sync again to merge')
  const base = await mergeBase(ws.store, ours, opts.theirs)
  const baseTree = base === undefined ? new Map<string, ObjectId>() : await flattenTree(ws.store, (await readVersion(ws.store, base)).tree)
  const theirsTree = await flattenTree(ws.store, (await readVersion(ws.store, opts.theirs)).tree)
  const merged = new Map<string, ObjectId>()
  const conflicts: PathConflict[] = []
  for (const path of [...new Set([...oursTree.keys(), ...theirsTree.keys(), ...baseTree.keys()])].sort()) {
    const [b, o, t] = [baseTree.get(path), oursTree.get(path), theirsTree.get(path)]
    let take: ObjectId | undefined
    if (o === t || t === b) take = o
    else if (o === b) take = t
    else {
      conflicts.push({ path, base: b ?? null, ours: o ?? null, theirs: t ?? null })
      take = o
    }
    if (take !== undefined) merged.set(path, take)
  }
  const checkout = await checkoutTree(ws, { target: merged, before: oursTree, base: ours })
  // a file edited but not staged kept ours on disk and in the index: theirs must not vanish silently,
  // and resolving with "ours" keeps the edited file, not the committed one
  for (const local of checkout.conflicts) {
    const both = conflicts.find((c) => c.path === local.path)
    if (both !== undefined) both.local = local.local
    else conflicts.push({ path: local.path, base: baseTree.get(local.path) ?? null, ours: oursTree.get(local.path) ?? null, theirs: theirsTree.get(local.path) ?? null, local: local.local })
  }
  for (const c of conflicts) {
    if (c.local === undefined && await workingFileState(ws, c.path, index.entries[c.path]) === 'edited') c.local = 'edited'
  }
  if (conflicts.length > 0) {
    await writeMergeState(ws, { ours, theirs: opts.theirs, from: opts.from, conflicts })
    return { version: null, conflicts, checkout }
  }
  const version = await commit(ws, { message: `Merge ${opts.from}`, extraParents: [opts.theirs] })
  return { version, conflicts, checkout }
}
