import { GasError } from '../errors.js'
import type { Asset } from '../objects/asset.js'
import { detectKind } from '../repo/asset-kind.js'
import { companionOf } from '../repo/engine.js'
import { readIndex } from '../repo/staging-index.js'
import type { Workspace } from '../repo/workspace.js'
import { companionIn, foldersOf } from './companions.js'
import type { Decision, SyncPolicy } from './policy.js'
import { loadWorkspacePolicy } from './workspace-policy.js'

export interface Explanation extends Decision { path: string, tracked: boolean }

/**
 * `gas sync explain PATH`: whether this workspace fetches the content at PATH, and which rule
 * decided. A tracked path is judged by its asset record (kind, size, tags); an untracked file by
 * what `gas add` would record (its kind from its name, its size on disk).
 */
export async function explainPath (ws: Workspace, opts: { path: string, cwd?: string, policy?: SyncPolicy }): Promise<Explanation> {
  const path = ws.relativePath(opts.path, opts.cwd)
  const policy = opts.policy ?? (await loadWorkspacePolicy(ws)).policy
  const index = await readIndex(ws.fs, ws.gasDir)
  const asset = index.entries[path]?.meta ?? await untracked(ws, path)
  const partnerPath = companionOf(path)
  const onDisk = partnerPath === undefined || index.entries[partnerPath] !== undefined ? undefined : await untracked(ws, partnerPath).catch(() => undefined)
  const folders = foldersOf(Object.keys(index.entries))
  if (partnerPath !== undefined && await ws.fs.stat(ws.absolutePath(partnerPath)).then((st) => st.isDirectory(), () => false)) folders.add(partnerPath)
  const companion = companionIn(path, (p) => index.entries[p]?.meta ?? (p === partnerPath ? onDisk : undefined), folders)
  const decision = policy.explain(path, asset, companion)
  return { path, tracked: index.entries[path] !== undefined, ...decision }
}

async function untracked (ws: Workspace, path: string): Promise<Asset> {
  const st = await ws.fs.stat(ws.absolutePath(path)).catch(() => undefined)
  if (st === undefined || !st.isFile()) throw GasError.notFound(`${path} (neither tracked nor a file here)`, { path })
  const { kind, format } = detectKind(path, Buffer.alloc(0))
  return { file: '0'.repeat(64), size: st.size, sha256: '0'.repeat(64), kind, format, tags: {}, previews: [] }
}

