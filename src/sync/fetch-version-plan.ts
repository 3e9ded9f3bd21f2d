import { GasError } from '../errors.js'
import type { ObjectId } from '../objects/id.js'
import { resolveRevision } from '../repo/rev-parse.js'
import { flattenTree, readAsset, readTreeAt, readVersion } from '../repo/tree-io.js'
import type { Workspace } from '../repo/workspace.js'
import { contentHere } from '../repo/content-here.js'
import type { FetchPlan, FetchTarget } from './fetch-plan.js'

/**
 * `gas fetch PATH... --version REV`: the assets at or below each path in that version whose
 * content is not here (a sync fetches the versions the refs name; an older one comes this way, or
 * with `gas restore --version`). Nothing is written into the workspace: the content is stored,
 * and a restore of that version then needs no peer. A path the version lacks is an E_NOT_FOUND.
 */
export async function planFetchAt (ws: Workspace, opts: { paths: string[], rev: string, cwd?: string }): Promise<FetchPlan & { version: ObjectId }> {
  if (opts.paths.length === 0) throw GasError.badArgument('name the assets or folders to fetch')
  const version = await resolveRevision(ws, opts.rev)
  const root = (await readVersion(ws.store, version)).tree
  const targets: FetchTarget[] = []
  for (const userPath of opts.paths) {
    const rel = ws.relativePath(userPath, opts.cwd)
    const found = await assetsAt(ws, root, rel)
    if (found.size === 0) throw GasError.notFound(`${rel} in version ${version.slice(0, 12)}`, { path: rel, version })
    for (const [path, asset] of [...found].sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0)) {
      const meta = await readAsset(ws.store, asset)
      if (!(await contentHere(ws, meta.file)) && !targets.some((t) => t.path === path)) targets.push({ path, asset, meta })
    }
  }
  return { version, targets, roots: [...new Set(targets.map((t) => t.meta.file))] }
}

/** The asset at `path`, or every asset below the folder at `path` ('' is the whole tree), as path → asset id. */
async function assetsAt (ws: Workspace, root: ObjectId, path: string): Promise<Map<string, ObjectId>> {
  if (path === '') return await flattenTree(ws.store, root)
  let tree = root
  const parts = path.split('/')
  for (const [i, name] of parts.entries()) {
    const entry = (await readTreeAt(ws.store, tree, parts.slice(0, i).join('/'))).entries.find((e) => e.name === name)
    if (entry === undefined) return new Map()
    if (entry.type === 'asset') return i === parts.length - 1 ? new Map([[path, entry.id]]) : new Map()
    tree = entry.id
  }
  return await flattenTree(ws.store, tree, path)
}
