import { GasError } from '../errors.js'
import { isObjectId, type ObjectId } from '../objects/id.js'
import { decodeTag } from '../objects/tag.js'
import { readVersion } from './tree-io.js'
import type { Workspace } from './workspace.js'

/** Shortest prefix accepted: fewer hex digits match too much to be useful. */
const MIN_PREFIX = 4

/**
 * Resolves a revision to a version id: a full id, a unique prefix, a tag, a branch, HEAD, and any
 * of these followed by ~N (N first parents back), like git's rev-parse.
 */
export async function resolveRevision (ws: Workspace, rev: string): Promise<ObjectId> {
  const tilde = /^(.*?)~(\d*)$/.exec(rev)
  if (tilde !== null) {
    let id = await resolveRevision(ws, tilde[1])
    const steps = tilde[2] === '' ? 1 : Number(tilde[2])
    for (let i = 0; i < steps; i++) {
      const version = await readVersion(ws.store, id)
      if (version.parents.length === 0) throw GasError.notFound(`revision ${rev} (history is only ${i} versions deep)`, { rev })
      id = version.parents[0]
    }
    return id
  }
  if (rev === '') throw GasError.badArgument('empty revision')
  if (rev === 'HEAD') {
    const head = await ws.head()
    if (head === undefined) throw GasError.notFound('HEAD (no version committed yet)', { rev })
    return head
  }
  for (const ref of [`refs/tags/${rev}`, `refs/heads/${rev}`, `refs/builds/${rev}`, rev.startsWith('refs/') ? rev : undefined]) {
    if (ref === undefined) continue
    let id: ObjectId | undefined
    try {
      id = await ws.refs.read(ref)
    } catch (err) {
      if (err instanceof GasError && err.code === 'E_BAD_ARGUMENT') continue
      throw err
    }
    if (id !== undefined) return await peel(ws, id)
  }
  const lower = rev.toLowerCase()
  if (isObjectId(lower)) return await peel(ws, lower)
  if (/^[0-9a-f]+$/.test(lower) && rev.length >= MIN_PREFIX) return await peel(ws, await resolvePrefix(ws, lower))
  throw GasError.notFound(`revision ${rev}`, { rev })
}

/** An annotated tag resolves to what it names. */
async function peel (ws: Workspace, id: ObjectId): Promise<ObjectId> {
  const object = await ws.store.get(id)
  if (object.type === 'tag') return await peel(ws, decodeTag(object.body).object)
  return id
}

/** Versions and tags are loose objects, so a prefix is looked up among them (not among chunks). */
async function resolvePrefix (ws: Workspace, prefix: string): Promise<ObjectId> {
  const matches: ObjectId[] = []
  let names: string[]
  try {
    names = await ws.fs.readdir(ws.store.loose.pathOf(prefix.padEnd(64, '0')).replace(/\/[0-9a-f]+$/, ''))
  } catch {
    names = []
  }
  for (const rest of names) {
    const id = prefix.slice(0, 2) + rest
    if (!id.startsWith(prefix) || !isObjectId(id)) continue
    const type = (await ws.store.get(id)).type
    if (type === 'version' || type === 'tag') matches.push(id)
  }
  if (matches.length === 0) throw GasError.notFound(`revision ${prefix}`, { rev: prefix })
  if (matches.length > 1) throw new GasError('E_AMBIGUOUS_ID', `${prefix} matches ${matches.length} versions (${matches.map((m) => m.slice(0, 12)).join(', ')}); give more digits`, { prefix, matches })
  return matches[0]
}
