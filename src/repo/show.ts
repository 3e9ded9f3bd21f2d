import type { ObjectId } from '../objects/id.js'
import { diffAsset, diffVersions, type AssetDiff } from './diff.js'
import { log, type LogEntry } from './log.js'
import { resolveRevision } from './rev-parse.js'
import { flattenTree, readAsset, readVersion } from './tree-io.js'
import type { Workspace } from './workspace.js'

/** One version as `gas show` prints it: its record, and what it changed against its first parent (a first version: every asset, added). */
export interface ShownVersion { version: LogEntry, parent: ObjectId | null, assets: AssetDiff[] }

export async function showVersion (ws: Workspace, opts: { rev?: string } = {}): Promise<ShownVersion> {
  const id = await resolveRevision(ws, opts.rev ?? 'HEAD')
  const [version] = await log(ws, { from: id, limit: 1 })
  const parent = version.parents[0] ?? null
  if (parent !== null) return { version, parent, assets: (await diffVersions(ws, { range: `${parent}..${id}` })).assets }
  const tree = await flattenTree(ws.store, (await readVersion(ws.store, id)).tree)
  const assets: AssetDiff[] = []
  for (const path of [...tree.keys()].sort()) assets.push(await diffAsset(ws, path, 'added', undefined, await readAsset(ws.store, tree.get(path) as ObjectId)))
  return { version, parent: null, assets }
}
