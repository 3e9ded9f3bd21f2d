import { GasError } from '../errors.js'
import { checkTag, encodeAsset, type Asset } from '../objects/asset.js'
import { readIndex, writeIndex } from './staging-index.js'
import type { Workspace } from './workspace.js'

export interface AssetMeta { path: string, tags: Record<string, string>, kind: string, format: string, size: number, sha256: string, asset: string }

/** Sets tags on a tracked asset: a new asset record is staged (content untouched) for the next version. */
export async function setMeta (ws: Workspace, opts: { path: string, tags: Record<string, string>, remove?: string[], cwd?: string }): Promise<AssetMeta> {
  const path = ws.relativePath(opts.path, opts.cwd)
  for (const [k, v] of Object.entries(opts.tags)) checkTag(k, v)
  return await ws.withLock(async () => await setMetaLocked(ws, path, opts))
}

async function setMetaLocked (ws: Workspace, path: string, opts: { tags: Record<string, string>, remove?: string[] }): Promise<AssetMeta> {
  const index = await readIndex(ws.fs, ws.gasDir)
  const entry = index.entries[path]
  if (entry === undefined) throw GasError.notFound(`tracked asset ${path} (gas add it first)`, { path })
  const tags = { ...entry.meta.tags, ...opts.tags }
  for (const key of opts.remove ?? []) delete tags[key]
  const meta: Asset = { ...entry.meta, tags }
  const id = await ws.store.put('asset', encodeAsset(meta))
  index.entries[path] = { ...entry, asset: id, meta }
  await writeIndex(ws.fs, ws.gasDir, index)
  return toMeta(path, id, meta)
}

export async function getMeta (ws: Workspace, opts: { path: string, cwd?: string }): Promise<AssetMeta> {
  const path = ws.relativePath(opts.path, opts.cwd)
  const entry = (await readIndex(ws.fs, ws.gasDir)).entries[path]
  if (entry === undefined) throw GasError.notFound(`tracked asset ${path}`, { path })
  return toMeta(path, entry.asset, entry.meta)
}

export function toMeta (path: string, asset: string, meta: Asset): AssetMeta {
  return { path, tags: meta.tags, kind: meta.kind, format: meta.format, size: meta.size, sha256: meta.sha256, asset }
}
