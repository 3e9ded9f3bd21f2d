import { hashObject, type ObjectId } from '../objects/id.js'
import type { ObjectStore } from '../objects/store.js'
import { decodeTree, encodeTree, type TreeEntry } from '../objects/tree.js'
import { flattenTree, readTyped } from './tree-io.js'

export interface StagedChange { path: string, change: 'added' | 'modified' | 'deleted' }

interface Folder { files: Map<string, ObjectId>, folders: Map<string, Folder>, id?: ObjectId }

function folderOf (assets: Iterable<[string, ObjectId]>): Folder {
  const root: Folder = { files: new Map(), folders: new Map() }
  for (const [path, id] of assets) {
    const parts = path.split('/')
    let folder = root
    for (const part of parts.slice(0, -1)) {
      let child = folder.folders.get(part)
      if (child === undefined) { child = { files: new Map(), folders: new Map() }; folder.folders.set(part, child) }
      folder = child
    }
    folder.files.set(parts[parts.length - 1], id)
  }
  return root
}

/** The id `writeTree` would give each folder, computed without writing anything (as git's cache-tree knows it). */
function hashFolder (folder: Folder): ObjectId {
  const entries: TreeEntry[] = [...folder.files].map(([name, id]) => ({ name, type: 'asset', id }))
  for (const [name, child] of folder.folders) entries.push({ name, type: 'tree', id: hashFolder(child) })
  folder.id = hashObject('tree', encodeTree({ entries }))
  return folder.id
}

function everyFile (folder: Folder, prefix: string, out: string[]): string[] {
  for (const name of folder.files.keys()) out.push(`${prefix}${name}`)
  for (const [name, child] of folder.folders) everyFile(child, `${prefix}${name}/`, out)
  return out
}

/**
 * What the index holds that the version's tree does not (git's "changes to be committed"): the
 * index's trees are hashed in memory and compared with the version's top down, so only folders
 * whose ids differ are read from the store; a clean index of 100 000 assets costs one comparison.
 * Returns the index's root tree id too (the id the next commit's tree gets).
 */
export async function stagedChanges (store: ObjectStore, staged: Iterable<[string, ObjectId]>, headTree: ObjectId | undefined): Promise<{ changes: StagedChange[], indexTree: ObjectId }> {
  const root = folderOf(staged)
  const indexTree = hashFolder(root)
  const changes: StagedChange[] = []
  if (headTree === undefined) return { changes: everyFile(root, '', []).map((path) => ({ path, change: 'added' })), indexTree }
  const compare = async (folder: Folder | undefined, treeId: ObjectId | undefined, prefix: string): Promise<void> => {
    if (folder?.id === treeId) return
    if (folder === undefined) {
      for (const path of (await flattenTree(store, treeId!, prefix.slice(0, -1))).keys()) changes.push({ path, change: 'deleted' })
      return
    }
    if (treeId === undefined) {
      for (const path of everyFile(folder, prefix, [])) changes.push({ path, change: 'added' })
      return
    }
    const tree = decodeTree(await readTyped(store, treeId, 'tree'))
    const seen = new Set<string>()
    for (const entry of tree.entries) {
      seen.add(entry.name)
      const path = `${prefix}${entry.name}`
      if (entry.type === 'asset') {
        const id = folder.files.get(entry.name)
        if (id === undefined) changes.push({ path, change: 'deleted' })
        else if (id !== entry.id) changes.push({ path, change: 'modified' })
        const child = folder.folders.get(entry.name)
        if (child !== undefined) await compare(child, undefined, `${path}/`)
      } else {
        await compare(folder.folders.get(entry.name), entry.id, `${path}/`)
        if (folder.files.has(entry.name)) changes.push({ path, change: 'added' })
      }
    }
    for (const name of folder.files.keys()) if (!seen.has(name)) changes.push({ path: `${prefix}${name}`, change: 'added' })
    for (const [name, child] of folder.folders) if (!seen.has(name)) await compare(child, undefined, `${prefix}${name}/`)
  }
  await compare(root, headTree, '')
  return { changes: changes.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)), indexTree }
}
