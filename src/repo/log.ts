import { GasError } from '../errors.js'
import type { ObjectId } from '../objects/id.js'
import { formatAuthorTime, type Version } from '../objects/version.js'
import { resolveRevision } from './rev-parse.js'
import { readIndex } from './staging-index.js'
import { lookupPath, readVersion } from './tree-io.js'
import type { Workspace } from './workspace.js'

export interface LogEntry {
  id: ObjectId
  parents: ObjectId[]
  author: string
  /** ISO-8601 in the author's own offset */
  time: string
  timeZone: string
  message: string
  tags: Record<string, string>
}

function toEntry (id: ObjectId, v: Version): LogEntry {
  return { id, parents: v.parents, author: v.author.name, time: formatAuthorTime(v.time), timeZone: v.time.timeZone, message: v.message, tags: v.tags }
}

/**
 * Versions reachable from `from` (default HEAD), newest first. With `path`, only the versions in
 * which that asset differs from every parent (added, changed or removed), like `git log -- path`.
 */
export async function log (ws: Workspace, opts: { from?: string, path?: string, limit?: number } = {}): Promise<LogEntry[]> {
  const head = opts.from !== undefined ? await resolveRevision(ws, opts.from) : await ws.head()
  if (head === undefined) return await checkPathKnown(ws, opts.path, [])
  const seen = new Set<ObjectId>([head])
  const queue: Array<{ id: ObjectId, version: Version }> = [{ id: head, version: await readVersion(ws.store, head) }]
  const out: LogEntry[] = []
  while (queue.length > 0 && (opts.limit === undefined || out.length < opts.limit)) {
    queue.sort((a, b) => b.version.time.seconds - a.version.time.seconds)
    const { id, version } = queue.shift()!
    const parents: Version[] = []
    for (const parent of version.parents) {
      const pv = await readVersion(ws.store, parent)
      parents.push(pv)
      if (!seen.has(parent)) { seen.add(parent); queue.push({ id: parent, version: pv }) }
    }
    if (opts.path === undefined || await changesPath(ws, version, parents, opts.path)) out.push(toEntry(id, version))
  }
  return opts.limit === 0 ? out : await checkPathKnown(ws, opts.path, out)
}

/** No version ever held the path (the walk went to the roots to find none) and none is staged: a typo, as git says. */
async function checkPathKnown (ws: Workspace, path: string | undefined, found: LogEntry[]): Promise<LogEntry[]> {
  if (path === undefined || found.length > 0) return found
  const staged = Object.keys((await readIndex(ws.fs, ws.gasDir)).entries)
  if (staged.some((p) => p === path || path === '' || p.startsWith(`${path}/`))) return found
  throw GasError.notFound(`asset ${path} (in no version and not staged)`, { path })
}

async function changesPath (ws: Workspace, version: Version, parents: Version[], path: string): Promise<boolean> {
  const mine = await lookupPath(ws.store, version.tree, path)
  if (parents.length === 0) return mine !== undefined
  for (const parent of parents) {
    if ((await lookupPath(ws.store, parent.tree, path)) === mine) return false
  }
  return true
}
