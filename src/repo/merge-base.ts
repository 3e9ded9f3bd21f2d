import type { ObjectId } from '../objects/id.js'
import type { ObjectStore } from '../objects/store.js'
import { readVersion } from './tree-io.js'

/** Every ancestor of `id`, itself included (breadth first). */
async function ancestors (store: ObjectStore, id: ObjectId): Promise<Set<ObjectId>> {
  const seen = new Set<ObjectId>([id])
  const queue = [id]
  while (queue.length > 0) {
    for (const parent of (await readVersion(store, queue.shift()!)).parents) {
      if (!seen.has(parent)) { seen.add(parent); queue.push(parent) }
    }
  }
  return seen
}

/** Whether `ancestor` is `descendant` or one of its ancestors. */
export async function isAncestorOf (store: ObjectStore, ancestor: ObjectId, descendant: ObjectId): Promise<boolean> {
  return (await ancestors(store, descendant)).has(ancestor)
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
