import { mkdir, writeFile } from 'node:fs/promises'
import { extname, join, resolve } from 'node:path'
import { sharp } from './require-cjs.js'
import { GasError, fromFsError } from '../errors.js'
import { isObjectId, type ObjectId } from '../objects/id.js'
import { decodePreview } from '../objects/preview.js'
import { resolveRevision } from '../repo/rev-parse.js'
import { readIndex } from '../repo/staging-index.js'
import { lookupPath, readAsset, readTyped, readVersion } from '../repo/tree-io.js'
import type { Workspace } from '../repo/workspace.js'

/** Folder under .gas/ for previews shown without --out (overwritten by the next showing of the same preview). */
export const PREVIEW_CACHE_DIR = 'previews'

export interface ShownPreview { kind: string, format: string, image: string | null, imageFormat: string | null, clip: string | null, info: Record<string, unknown>, preview: ObjectId }

/** Image formats `--out` can name by extension; the stored bytes are converted when they differ. */
const OUT_FORMATS: Record<string, 'webp' | 'png' | 'jpeg' | 'avif' | 'tiff' | 'gif'> = { webp: 'webp', png: 'png', jpg: 'jpeg', jpeg: 'jpeg', avif: 'avif', tif: 'tiff', tiff: 'tiff', gif: 'gif' }

/** The preview image in the format `out`'s extension names (unchanged without one, or for an unknown extension). */
async function imageAs (bytes: Uint8Array, stored: string, out: string | undefined): Promise<{ bytes: Uint8Array, format: string }> {
  const ext = out === undefined ? '' : extname(out).slice(1).toLowerCase()
  const want = OUT_FORMATS[ext]
  if (want === undefined || want === stored) return { bytes, format: stored }
  // lossless re-encodings where the format has one, so converting adds no loss of its own
  const img = sharp(bytes)
  const converted = want === 'webp' ? img.webp({ lossless: true }) : want === 'jpeg' ? img.flatten({ background: '#000' }).jpeg({ quality: 95 }) : want === 'avif' ? img.avif({ lossless: true }) : img.toFormat(want)
  return { bytes: await converted.toBuffer(), format: want }
}

/** The asset a user names: a tracked path (staged, else the current version; in `rev` when given), or an asset id. */
async function assetIdOf (ws: Workspace, target: string, cwd?: string, rev?: string): Promise<ObjectId> {
  if (isObjectId(target)) return target
  const path = ws.relativePath(target, cwd)
  if (rev === undefined) {
    const staged = (await readIndex(ws.fs, ws.gasDir)).entries[path]
    if (staged !== undefined) return staged.asset
  }
  const version = rev === undefined ? await ws.head() : await resolveRevision(ws, rev)
  const found = version === undefined ? undefined : await lookupPath(ws.store, (await readVersion(ws.store, version)).tree, path)
  if (found === undefined) throw GasError.notFound(`asset ${path}${rev !== undefined ? ` in version ${rev}` : ''}`, { path, rev })
  return found
}

/** Where a preview goes without `--out`: the workspace's own cache, never the system temporary folder (nothing cleans it). */
function cachedPreviewPath (ws: Workspace, previewId: ObjectId, ext: string): string {
  return join(ws.gasDir, PREVIEW_CACHE_DIR, `${previewId.slice(0, 16)}.${ext}`)
}

/**
 * Shows an asset's preview from the preview object alone, so it works on a peer that has synced
 * the preview but not the content. Writes the thumbnail (and clip) to `out` or a temporary file.
 */
export async function showPreview (ws: Workspace, opts: { target: string, out?: string, cwd?: string, rev?: string }): Promise<ShownPreview> {
  const assetId = await assetIdOf(ws, opts.target, opts.cwd, opts.rev)
  const object = await ws.store.get(assetId)
  let previewId: ObjectId
  if (object.type === 'preview') previewId = assetId
  else {
    const asset = await readAsset(ws.store, assetId)
    if (asset.previews.length === 0) throw new GasError('E_NO_PREVIEW', `no preview for this kind: ${asset.kind}/${asset.format}`, { asset: assetId })
    previewId = asset.previews[0]
  }
  const preview = decodePreview(await readTyped(ws.store, previewId, 'preview'))
  if (preview.error !== null) throw new GasError(preview.error.code === 'E_NO_PREVIEW' ? 'E_NO_PREVIEW' : 'E_MALFORMED_ASSET', `${opts.target}: ${preview.error.message}`, { preview: previewId })
  let image: string | null = null
  let clip: string | null = null
  let imageFormat: string | null = null
  try {
    if (preview.image !== null) {
      if (opts.out === undefined) await mkdir(join(ws.gasDir, PREVIEW_CACHE_DIR), { recursive: true })
      image = opts.out !== undefined ? resolve(opts.cwd ?? ws.root, opts.out) : cachedPreviewPath(ws, previewId, preview.image.format)
      const written = await imageAs(preview.image.bytes, preview.image.format, opts.out)
      imageFormat = written.format
      await writeFile(image, written.bytes)
    }
    if (preview.clip !== null) {
      if (image === null && opts.out === undefined) await mkdir(join(ws.gasDir, PREVIEW_CACHE_DIR), { recursive: true })
      clip = `${image ?? (opts.out !== undefined ? resolve(opts.cwd ?? ws.root, opts.out) : cachedPreviewPath(ws, previewId, 'clip'))}.clip.wav`
      await writeFile(clip, preview.clip.bytes)
    }
  } catch (err) {
    throw fromFsError(err, image ?? clip ?? '')
  }
  return { kind: preview.kind, format: preview.format, image, imageFormat, clip, info: preview.info, preview: previewId }
}
