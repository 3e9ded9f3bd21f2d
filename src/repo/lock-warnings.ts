import type { ObjectId } from '../objects/id.js'
import type { LockEntry } from '../refs/lock-table.js'
import { activeLocks } from './lock-store.js'
import { flattenTree, readVersion } from './tree-io.js'
import type { Workspace } from './workspace.js'

/**
 * The paths a version changed (against its first parent) that another member holds a lock on:
 * `gas commit` warns with them. Trees are walked only when such a lock exists.
 */
export async function lockedByOthersIn (ws: Workspace, version: ObjectId, opts: { now?: number } = {}): Promise<LockEntry[]> {
  const others = (await activeLocks(ws, opts)).filter((l) => l.holder.publicKey !== ws.identity.publicKey)
  if (others.length === 0) return []
  const v = await readVersion(ws.store, version)
  const after = await flattenTree(ws.store, v.tree)
  const before = v.parents.length > 0 ? await flattenTree(ws.store, (await readVersion(ws.store, v.parents[0])).tree) : new Map<string, ObjectId>()
  return others.filter((l) => after.get(l.path) !== before.get(l.path))
}
