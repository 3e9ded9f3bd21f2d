import { GasError } from '../errors.js'
import { decodeCanonical, encodeCanonical, Fields } from './canonical-json.js'
import { checkEntryName, checkEntryNames } from './entry-name.js'
import { isObjectId, type ObjectId } from './id.js'

export { checkEntryName } from './entry-name.js'

/** `tree` object: sorted entries like a git tree; an entry points to an asset or a subtree. */
export interface TreeEntry { name: string, type: 'asset' | 'tree', id: ObjectId }
export interface Tree { entries: TreeEntry[] }

export function encodeTree (tree: Tree): Uint8Array {
  const entries = [...tree.entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  for (let i = 1; i < entries.length; i++) {
    if (entries[i].name === entries[i - 1].name) throw GasError.badArgument(`duplicate tree entry ${entries[i].name}`)
  }
  // a name that could escape the workspace or collide on disk is refused, whoever writes the tree
  checkEntryNames(entries.map((e) => e.name))
  return encodeCanonical({ entries: entries.map((e) => ({ id: e.id, name: e.name, type: e.type })) })
}

export function decodeTree (body: Uint8Array): Tree {
  const f = Fields.of(decodeCanonical(body, 'tree'), 'tree')
  const entries = f.array('entries').map((raw, i) => {
    const e = Fields.of(raw, `tree entry ${i}`)
    const type = e.string('type')
    if (type !== 'asset' && type !== 'tree') e.fail('type', '"asset" or "tree"')
    const id = e.string('id')
    if (!isObjectId(id)) e.fail('id', 'an object id')
    const name = e.string('name')
    checkEntryName(name)
    return { name, type: type as 'asset' | 'tree', id }
  })
  for (let i = 1; i < entries.length; i++) {
    if (!(entries[i - 1].name < entries[i].name)) throw new GasError('E_CORRUPT_OBJECT', 'tree: entries not sorted or duplicated')
  }
  checkEntryNames(entries.map((e) => e.name))
  return { entries }
}
