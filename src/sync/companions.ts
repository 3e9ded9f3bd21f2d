import type { Asset } from '../objects/asset.js'
import { companionOf } from '../repo/engine.js'

/** The file a companion (`X.meta`, `X.import`) describes: an asset, or a folder (asset null: Unity gives folders a .meta too). */
export interface Companion { path: string, asset: Asset | null }

/**
 * The companion partner of `path` in a flat listing (an index, a flattened tree): the asset at
 * `X`, a folder `X/`, or undefined (not a companion, or nothing at `X`).
 */
export function companionIn (path: string, assetAt: (path: string) => Asset | undefined, folders: Set<string>): Companion | undefined {
  const partnerPath = companionOf(path)
  if (partnerPath === undefined) return undefined
  const asset = assetAt(partnerPath)
  if (asset !== undefined) return { path: partnerPath, asset }
  return folders.has(partnerPath) ? { path: partnerPath, asset: null } : undefined
}

/** Every folder that holds one of `paths`. */
export function foldersOf (paths: Iterable<string>): Set<string> {
  const folders = new Set<string>()
  for (const path of paths) {
    for (let slash = path.lastIndexOf('/'); slash > 0; slash = path.lastIndexOf('/', slash - 1)) {
      const folder = path.slice(0, slash)
      if (folders.has(folder)) break
      folders.add(folder)
    }
  }
  return folders
}
