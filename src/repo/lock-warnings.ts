import type { ObjectId } from '../objects/id.js'
import type { LockEntry } from '../refs/lock-table.js'
import { activeLocks } from './lock-store.js'
import { lookupPath, readVersion } from './tree-io.js'
import type { Workspace } from './workspace.js'

/**
 * The paths a version changed (against its first parent) that another member holds a lock on:
 * `gas commit` warns with them. Trees are walked only when such a lock exists.
 */
export async function lockedByOthersIn (ws: Workspace, version: ObjectId, opts: { now?: number } = {}): Promise<LockEntry[]> {
  const others = (await activeLocks(ws, opts)).filter((l) => l.holder.publicKey !== ws.identity.publicKey)
  if (others.length === 0) return []
  const v = await readVersion(ws.store, version)
  const parentTree = v.parents.length > 0 ? (await readVersion(ws.store, v.parents[0])).tree : undefined
  // each locked path looked up in both trees: a 200 000-asset project is not flattened twice per commit
  const changed: LockEntry[] = []
  for (const l of others) {
    const before = parentTree === undefined ? undefined : await lookupPath(ws.store, parentTree, l.path)
    if (await lookupPath(ws.store, v.tree, l.path) !== before) changed.push(l)
  }
  return changed
}
