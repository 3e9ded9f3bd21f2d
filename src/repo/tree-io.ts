import { GasError } from '../errors.js'
import { decodeAsset, type Asset } from '../objects/asset.js'
import type { ObjectId, ObjectType } from '../objects/id.js'
import type { ObjectStore } from '../objects/store.js'
import { atTreePath } from '../objects/entry-name.js'
import { decodeTree, encodeTree, type Tree, type TreeEntry } from '../objects/tree.js'
import { decodeVersion, type Version } from '../objects/version.js'

/** Reads an object and checks it is of the type the caller expects. */
export async function readTyped (store: ObjectStore, id: ObjectId, type: ObjectType): Promise<Uint8Array> {
  const object = await store.get(id)
  if (object.type !== type) throw GasError.badArgument(`${id} is a ${object.type}, not a ${type}`, { id })
  return object.body
}

export async function readVersion (store: ObjectStore, id: ObjectId): Promise<Version> {
  return decodeVersion(await readTyped(store, id, 'version'))
}

export async function readAsset (store: ObjectStore, id: ObjectId): Promise<Asset> {
  return decodeAsset(await readTyped(store, id, 'asset'))
}

/** Writes nested tree objects for a flat path → asset map; returns the root tree id. */
export async function writeTree (store: ObjectStore, assets: Map<string, ObjectId>): Promise<ObjectId> {
  interface Dir { files: Map<string, ObjectId>, dirs: Map<string, Dir> }
  const root: Dir = { files: new Map(), dirs: new Map() }
  for (const [path, id] of assets) {
    const parts = path.split('/')
    let dir = root
    for (const part of parts.slice(0, -1)) {
      let child = dir.dirs.get(part)
      if (child === undefined) { child = { files: new Map(), dirs: new Map() }; dir.dirs.set(part, child) }
      dir = child
    }
    dir.files.set(parts[parts.length - 1], id)
  }
  const write = async (dir: Dir): Promise<ObjectId> => {
    const entries: TreeEntry[] = []
    for (const [name, id] of dir.files) entries.push({ name, type: 'asset', id })
    for (const [name, child] of dir.dirs) {
      if (dir.files.has(name)) throw GasError.badArgument(`${name} is both a file and a folder`)
      entries.push({ name, type: 'tree', id: await write(child) })
    }
    return await store.put('tree', encodeTree({ entries }))
  }
  return await write(root)
}

/** Reads a tree at `path`; a refused entry name is reported with the folder it is in. */
export async function readTreeAt (store: ObjectStore, treeId: ObjectId, path: string): Promise<Tree> {
  const body = await readTyped(store, treeId, 'tree')
  try {
    return decodeTree(body)
  } catch (err) {
    throw atTreePath(err, path, treeId)
  }
}

/** Every asset of a tree as path → asset id. */
export async function flattenTree (store: ObjectStore, treeId: ObjectId, prefix = '', out = new Map<string, ObjectId>()): Promise<Map<string, ObjectId>> {
  const tree = await readTreeAt(store, treeId, prefix)
  for (const entry of tree.entries) {
    const path = prefix === '' ? entry.name : `${prefix}/${entry.name}`
    if (entry.type === 'asset') out.set(path, entry.id)
    else await flattenTree(store, entry.id, path, out)
  }
  return out
}

/** The asset id at `path` in a tree, or undefined. */
export async function lookupPath (store: ObjectStore, treeId: ObjectId, path: string): Promise<ObjectId | undefined> {
  let current = treeId
  const parts = path.split('/')
  for (let i = 0; i < parts.length; i++) {
    const tree = await readTreeAt(store, current, parts.slice(0, i).join('/'))
    const entry = tree.entries.find((e) => e.name === parts[i])
    if (entry === undefined) return undefined
    if (i === parts.length - 1) return entry.type === 'asset' ? entry.id : undefined
    if (entry.type !== 'tree') return undefined
    current = entry.id
  }
  return undefined
}
