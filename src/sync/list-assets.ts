import type { AssetKind } from '../objects/asset.js'
import type { ObjectId } from '../objects/id.js'
import { readIndex } from '../repo/staging-index.js'
import type { Workspace } from '../repo/workspace.js'
import { companionIn, foldersOf } from './companions.js'
import { contentHere } from '../repo/content-here.js'
import type { SyncPolicy } from './policy.js'
import { loadWorkspacePolicy } from './workspace-policy.js'

export interface ListedAsset {
  path: string
  asset: ObjectId
  kind: AssetKind
  size: number
  /** every chunk of its content is in the local store */
  fetched: boolean
  /** the policy wants its content (a sync fetches it) */
  wanted: boolean
}

/**
 * The tracked assets of the workspace (its index: the version checked out plus what is staged),
 * each with whether its content is here. `gas ls` prints them; `gas status` shows the ones not
 * fetched. `under` limits the listing to a path or folder.
 */
export async function listAssets (ws: Workspace, opts: { under?: string, policy?: SyncPolicy } = {}): Promise<ListedAsset[]> {
  const policy = opts.policy ?? (await loadWorkspacePolicy(ws)).policy
  const { entries } = await readIndex(ws.fs, ws.gasDir)
  const under = opts.under ?? ''
  const out: ListedAsset[] = []
  const folders = foldersOf(Object.keys(entries))
  for (const path of Object.keys(entries).sort()) {
    if (under !== '' && path !== under && !path.startsWith(`${under}/`)) continue
    const { asset, meta } = entries[path]
    const wanted = policy.wants(path, meta, companionIn(path, (p) => entries[p]?.meta, folders))
    out.push({ path, asset, kind: meta.kind, size: meta.size, fetched: await contentHere(ws, meta.file), wanted })
  }
  return out
}
