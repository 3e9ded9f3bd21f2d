import type { ObjectId } from '../objects/id.js'
import type { ObjectStore } from '../objects/store.js'
import { decodeVersion } from '../objects/version.js'
import { readVersion } from './tree-io.js'

/** Every ancestor of `id`, itself included (breadth first). */
export async function ancestors (store: ObjectStore, id: ObjectId): Promise<Set<ObjectId>> {
  const seen = new Set<ObjectId>([id])
  const queue = [id]
  while (queue.length > 0) {
    for (const parent of (await readVersion(store, queue.shift()!)).parents) {
      if (!seen.has(parent)) { seen.add(parent); queue.push(parent) }
    }
  }
  return seen
}

/** why: ancestry walks stop here; a team's history is far shorter, and a cycle of forged parents must not spin forever */
export const MAX_ANCESTRY_WALK = 1_000_000

/** Whether `ancestor` is `descendant` or reachable from it through version parents present in `store`. */
export async function isAncestor (store: ObjectStore, ancestor: ObjectId, descendant: ObjectId): Promise<boolean> {
  const seen = new Set<ObjectId>([descendant])
  const queue = [descendant]
  for (let i = 0; i < queue.length && i < MAX_ANCESTRY_WALK; i++) {
    const id = queue[i]
    if (id === ancestor) return true
    if (!(await store.has(id))) continue
    const object = await store.get(id)
    if (object.type !== 'version') continue
    for (const parent of decodeVersion(object.body).parents) {
      if (seen.has(parent)) continue
      seen.add(parent)
      queue.push(parent)
    }
  }
  return false
}

/** The nearest common ancestor of two versions (as git's merge-base for the usual one-base case), or undefined. */
export async function mergeBase (store: ObjectStore, a: ObjectId, b: ObjectId): Promise<ObjectId | undefined> {
  const ofA = await ancestors(store, a)
  const seen = new Set<ObjectId>([b])
  const queue = [b]
  while (queue.length > 0) {
    const id = queue.shift()!
    if (ofA.has(id)) return id
    for (const parent of (await readVersion(store, id)).parents) {
      if (!seen.has(parent)) { seen.add(parent); queue.push(parent) }
    }
  }
  return undefined
}
