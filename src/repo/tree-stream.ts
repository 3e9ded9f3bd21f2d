import { GasError } from '../errors.js'
import type { ObjectId } from '../objects/id.js'
import type { ObjectStore } from '../objects/store.js'
import { encodeTree, type TreeEntry } from '../objects/tree.js'

interface OpenFolder { name: string, entries: TreeEntry[], files: Set<string> }

/**
 * Writes the nested tree objects of (path, asset id) pairs that arrive sorted by path, holding only
 * the folders on the current path: a 200 000-asset commit keeps one folder's entries per level, not
 * the whole workspace (writeTree in tree-io.ts builds the same trees from a map held whole).
 * why sorted input suffices: all paths below a folder share its prefix `dir/`, and strings sharing
 * a prefix are contiguous in sorted order, so a folder is complete when a path leaves it.
 */
export async function writeTreeSorted (store: ObjectStore, assets: AsyncIterable<[string, ObjectId]>): Promise<ObjectId> {
  const stack: OpenFolder[] = [{ name: '', entries: [], files: new Set() }]
  const close = async (): Promise<void> => {
    const done = stack.pop() as OpenFolder
    const parent = stack[stack.length - 1]
    if (parent.files.has(done.name)) throw GasError.badArgument(`${done.name} is both a file and a folder`)
    parent.entries.push({ name: done.name, type: 'tree', id: await store.put('tree', encodeTree({ entries: done.entries })) })
  }
  let previous: string | undefined
  for await (const [path, id] of assets) {
    if (previous !== undefined && !(previous < path)) throw GasError.badArgument(`paths must come sorted and unique: ${path} after ${previous}`)
    previous = path
    const parts = path.split('/')
    const folders = parts.length - 1
    // keep the open folders this path shares, close the rest (deepest first)
    let shared = 0
    while (shared < folders && shared + 1 < stack.length && stack[shared + 1].name === parts[shared]) shared++
    while (stack.length > shared + 1) await close()
    for (let i = shared; i < folders; i++) stack.push({ name: parts[i], entries: [], files: new Set() })
    const folder = stack[stack.length - 1]
    const name = parts[folders]
    folder.files.add(name)
    folder.entries.push({ name, type: 'asset', id })
  }
  while (stack.length > 1) await close()
  return await store.put('tree', encodeTree({ entries: stack[0].entries }))
}
