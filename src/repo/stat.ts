import { join } from 'node:path'
import type { ObjectId } from '../objects/id.js'
import { decodeAsset } from '../objects/asset.js'
import { readIndex } from './staging-index.js'
import { walkReachable } from './reachable.js'
import type { Workspace } from './workspace.js'

export interface StoreStats { assets: number, versions: number, chunks: number, logicalBytes: number, storedBytes: number, metadataBytes: number }

async function duBytes (ws: Workspace, dir: string): Promise<number> {
  let total = 0
  let names: string[]
  try {
    names = await ws.fs.readdir(dir)
  } catch {
    return 0
  }
  for (const name of names) {
    const st = await ws.fs.lstat(join(dir, name))
    total += st.isDirectory() ? await duBytes(ws, join(dir, name)) : st.size
  }
  return total
}

/**
 * logicalBytes: every asset version's size (history and staged); storedBytes: unique chunk content
 * as stored (after compression); metadataBytes: everything else under .gas.
 */
export async function stat (ws: Workspace): Promise<StoreStats> {
  const index = await readIndex(ws.fs, ws.gasDir)
  const refs = await ws.refs.list()
  const assetIds = new Set<ObjectId>(Object.values(index.entries).map((e) => e.asset))
  let versions = 0
  let logicalBytes = 0
  await walkReachable(ws.store, [...refs.map((r) => r.id), ...assetIds], {
    onObject: (r, body) => {
      if (r.type === 'version') versions++
      if (r.type === 'asset') logicalBytes += decodeAsset(body).size
    }
  })
  await ws.store.close() // the open pack joins the others, so it is counted too
  await ws.store.refreshPacks()
  const chunkIds = new Set<ObjectId>()
  let storedBytes = 0
  for (const pack of ws.store.packFiles()) {
    for (const { id, offset } of pack.index.entries()) {
      if (chunkIds.has(id)) continue
      // packs hold received trees, assets and manifests too; only chunks are content
      const header = await pack.entryHeader(offset)
      if (header.type !== 'chunk') continue
      chunkIds.add(id)
      storedBytes += header.storedLength
    }
  }
  const total = await duBytes(ws, ws.gasDir)
  return { assets: Object.keys(index.entries).length, versions, chunks: chunkIds.size, logicalBytes, storedBytes, metadataBytes: total - storedBytes }
}
