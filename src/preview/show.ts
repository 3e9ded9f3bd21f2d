import { writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { GasError, fromFsError } from '../errors.js'
import { isObjectId, type ObjectId } from '../objects/id.js'
import { decodePreview } from '../objects/preview.js'
import { readIndex } from '../repo/staging-index.js'
import { lookupPath, readAsset, readTyped, readVersion } from '../repo/tree-io.js'
import type { Workspace } from '../repo/workspace.js'

export interface ShownPreview { kind: string, format: string, image: string | null, clip: string | null, info: Record<string, unknown>, preview: ObjectId }

/** The asset a user names: a tracked path (staged, else the current version), or an asset id. */
async function assetIdOf (ws: Workspace, target: string, cwd?: string): Promise<ObjectId> {
  if (isObjectId(target)) return target
  const path = ws.relativePath(target, cwd)
  const staged = (await readIndex(ws.fs, ws.gasDir)).entries[path]
  if (staged !== undefined) return staged.asset
  const head = await ws.head()
  const fromHead = head === undefined ? undefined : await lookupPath(ws.store, (await readVersion(ws.store, head)).tree, path)
  if (fromHead === undefined) throw GasError.notFound(`asset ${path}`, { path })
  return fromHead
}

/**
 * Shows an asset's preview from the preview object alone, so it works on a peer that has synced
 * the preview but not the content. Writes the thumbnail (and clip) to `out` or a temporary file.
 */
export async function showPreview (ws: Workspace, opts: { target: string, out?: string, cwd?: string }): Promise<ShownPreview> {
  const assetId = await assetIdOf(ws, opts.target, opts.cwd)
  const object = await ws.store.get(assetId)
  let previewId: ObjectId
  if (object.type === 'preview') previewId = assetId
  else {
    const asset = await readAsset(ws.store, assetId)
    if (asset.previews.length === 0) throw new GasError('E_NO_PREVIEW', `no preview for this kind: ${asset.kind}/${asset.format}`, { asset: assetId })
    previewId = asset.previews[0]
  }
  const preview = decodePreview(await readTyped(ws.store, previewId, 'preview'))
  if (preview.error !== null) throw new GasError('E_MALFORMED_ASSET', `${opts.target}: ${preview.error.message}`, { preview: previewId })
  let image: string | null = null
  let clip: string | null = null
  try {
    if (preview.image !== null) {
      image = opts.out !== undefined ? resolve(opts.cwd ?? ws.root, opts.out) : join(tmpdir(), `gas-preview-${previewId.slice(0, 16)}.${preview.image.format}`)
      await writeFile(image, preview.image.bytes)
    }
    if (preview.clip !== null) {
      clip = `${image ?? join(tmpdir(), `gas-preview-${previewId.slice(0, 16)}`)}.clip.wav`
      await writeFile(clip, preview.clip.bytes)
    }
  } catch (err) {
    throw fromFsError(err, image ?? clip ?? '')
  }
  return { kind: preview.kind, format: preview.format, image, clip, info: preview.info, preview: previewId }
}
