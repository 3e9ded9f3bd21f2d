import { GasError } from '../errors.js'
import type { ObjectId } from '../objects/id.js'
import type { ObjectStore } from '../objects/store.js'
import { checkoutTree, type CheckoutResult } from './checkout.js'
import { commit } from './commit.js'
import { workingFileState } from './local-changes.js'
import { isAncestor, mergeBase } from './merge-base.js'
import { readMergeState, writeMergeState, type PathConflict } from './merge-state.js'
import { readIndex } from './staging-index.js'
import { flattenTree, readVersion } from './tree-io.js'
import type { Workspace } from './workspace.js'

export type { PathConflict }

/** `same`: the other side had made this merge already (two ids, one merge): the smaller id kept, no new version */
export interface MergeResult { version: ObjectId | null, conflicts: PathConflict[], checkout: CheckoutResult, same?: true }

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
  // two members' syncs that met both merged the pair: the same merge twice, under two ids. Both
  // sides keep the smaller one and make none, or each sync after would merge the two merges anew
  if (await sameMerge(ws.store, ours, opts.theirs)) {
    if (ours < opts.theirs) return { version: ours, conflicts: [], checkout: { version: ours, written: [], removed: [], skipped: [], conflicts: [] }, same: true }
    await ws.refs.update({ name: ws.branchRef, newId: opts.theirs, expectedOld: ours, message: `sync: ${opts.from} made the same merge (${opts.theirs.slice(0, 12)} kept, ${ours.slice(0, 12)} dropped)`, who: ws.identity.name, now: ws.clock.now() })
    // the same files: only the index's base moves
    return { version: opts.theirs, conflicts: [], checkout: await checkoutTree(ws, { target: oursTree, before: oursTree, base: opts.theirs }), same: true }
  }
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

/**
 * Whether two versions are one merge made twice: the same tree, and each one's parents among the
 * other's ancestors (neither holds a version the other lacks). Dropping either loses nothing.
 */
async function sameMerge (store: ObjectStore, a: ObjectId, b: ObjectId): Promise<boolean> {
  const [va, vb] = [await readVersion(store, a), await readVersion(store, b)]
  if (va.tree !== vb.tree || va.parents.length < 2 || vb.parents.length < 2) return false
  for (const [version, other] of [[va, b], [vb, a]] as const) {
    for (const parent of version.parents) if (!(await isAncestor(store, parent, other))) return false
  }
  return true
}
