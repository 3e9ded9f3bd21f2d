import type { ObjectId } from '../objects/id.js'
import { activeLocks } from './lock-store.js'
import { ancestors, MAX_ANCESTRY_WALK } from './merge-base.js'
import { lookupPath, readVersion } from './tree-io.js'
import type { Workspace } from './workspace.js'

/** A locked path that versions a sync brought changed, and who changed it (not the lock's holder). */
export interface LockedChange { path: string, holder: string, holderIsUs: boolean, by: string[] }

/**
 * The paths among `changed` (what a sync wrote or removed in the workspace) that hold an active
 * lock and that a version new since `from` changed while authored by someone other than the
 * holder. A lock is advisory when versions travel (`gas commit` warns, the pre-push hook refuses):
 * why said at all: the holder (or the serve) learnt nothing when another member's change to the
 * file it held arrived, and the work of one of the two is then to be redone by hand.
 */
export async function lockedChanges (ws: Workspace, from: ObjectId | undefined, to: ObjectId | undefined, changed: readonly string[]): Promise<LockedChange[]> {
  if (to === undefined || from === to || changed.length === 0) return []
  try {
    return await changesUnderLocks(ws, from, to, new Set(changed))
  } catch {
    // a notice, not a check: a history it cannot walk (a version not here) leaves the sync as it was
    return []
  }
}

async function changesUnderLocks (ws: Workspace, from: ObjectId | undefined, to: ObjectId, paths: ReadonlySet<string>): Promise<LockedChange[]> {
  const locks = (await activeLocks(ws)).filter((lock) => paths.has(lock.path))
  if (locks.length === 0) return []
  const known = from === undefined ? new Set<ObjectId>() : await ancestors(ws.store, from)
  const by = new Map<string, Set<string>>(locks.map((lock) => [lock.path, new Set<string>()]))
  const queue = [to]
  const seen = new Set<ObjectId>(queue)
  for (let i = 0; i < queue.length && i < MAX_ANCESTRY_WALK; i++) {
    const id = queue[i]
    if (known.has(id) || !(await ws.store.has(id))) continue
    const version = await readVersion(ws.store, id)
    for (const lock of locks) {
      if (version.author.publicKey === lock.holder.publicKey) continue
      // changed here: unlike every parent's (a merge that took one side's file changed nothing itself)
      const mine = await lookupPath(ws.store, version.tree, lock.path)
      let differs = true
      for (const parent of version.parents) {
        if (!(await ws.store.has(parent))) continue
        if (await lookupPath(ws.store, (await readVersion(ws.store, parent)).tree, lock.path) === mine) differs = false
      }
      if (differs) by.get(lock.path)!.add(version.author.name)
    }
    for (const parent of version.parents) {
      if (!seen.has(parent)) { seen.add(parent); queue.push(parent) }
    }
  }
  return locks.filter((lock) => by.get(lock.path)!.size > 0).map((lock) => ({
    path: lock.path, holder: lock.holder.name, holderIsUs: lock.holder.publicKey === ws.identity.publicKey, by: [...by.get(lock.path)!].sort()
  }))
}

