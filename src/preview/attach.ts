import { GasError } from '../errors.js'
import type { Asset } from '../objects/asset.js'
import type { ObjectId } from '../objects/id.js'
import { decodePreview, encodePreview, type PreviewObject } from '../objects/preview.js'
import type { ObjectStore } from '../objects/store.js'
import { generatePreview } from './index.js'
import { mergeMetaTags } from './meta-tags.js'
import { IN_THREAD_KINDS, IN_THREAD_MAX_BYTES, PREVIEWED_KINDS } from './preview-kinds.js'
import { previewPool } from './pool.js'
import type { PreviewResult } from './types.js'

/** Info must survive canonical JSON on every peer: non-finite numbers (silence is -Infinity dB) become null. */
function jsonSafe (value: unknown): unknown {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null
  if (Array.isArray(value)) return value.map(jsonSafe)
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined).map(([k, v]) => [k, jsonSafe(v)]))
  return value
}

/** A small code or text file's preview here; any other in the worker pool. */
function generate (path: string, kind: string, format: string, bytes: number | undefined): Promise<PreviewResult> {
  if (IN_THREAD_KINDS.has(kind) && bytes !== undefined && bytes <= IN_THREAD_MAX_BYTES) return generatePreview({ path, kind, format })
  return previewPool().generate({ path, kind, format })
}

/** Previews started early (during chunking), by absolute path. */
const started = new Map<string, Promise<PreviewResult>>()

/**
 * Starts generating a preview in the worker pool, so it runs while the caller chunks and stores
 * the content; `previewAsset` later picks the result up. Errors wait for `previewAsset` too.
 */
export function preparePreview (absolutePath: string, kind: string, format: string, bytes?: number): void {
  if (!PREVIEWED_KINDS.has(kind) || started.has(absolutePath)) return
  const p = generate(absolutePath, kind, format, bytes)
  p.catch(() => {})
  started.set(absolutePath, p)
}

/** Embedded metadata of the previous version's preview, so tags it set can be told from tags a person set. */
async function previousMeta (store: ObjectStore, previous: Asset | undefined): Promise<Record<string, string>> {
  if (previous === undefined || previous.previews.length === 0) return {}
  try {
    const obj = await store.get(previous.previews[0])
    const meta = decodePreview(obj.body).info.meta
    return meta !== null && typeof meta === 'object' ? meta as Record<string, string> : {}
  } catch { return {} }
}

/**
 * Generates the preview of one asset and stores it as a `preview` object. A malformed asset, or
 * a variant with nothing to show, gets a preview recording the error and its reason, so peers
 * learn it without the content; a kind with no generator gets none. Embedded metadata becomes
 * `meta.*` tags on the asset, never replacing a tag a person set. The asset itself is always
 * stored, whatever happens here.
 */
export async function previewAsset (absolutePath: string, asset: Asset, store: ObjectStore, previous?: Asset): Promise<ObjectId[]> {
  if (!PREVIEWED_KINDS.has(asset.kind)) return []
  const pending = started.get(absolutePath) ?? generate(absolutePath, asset.kind, asset.format, asset.size)
  started.delete(absolutePath)
  let preview: PreviewObject
  try {
    const result = await pending
    const info = jsonSafe(result.info) as Record<string, unknown>
    if (result.meta !== undefined && Object.keys(result.meta).length > 0) {
      info.meta = result.meta
      asset.tags = mergeMetaTags(asset.tags, result.meta, await previousMeta(store, previous))
    }
    preview = { kind: result.kind, format: result.format, info, image: result.image, clip: result.clip, error: null }
  } catch (err) {
    if (!(err instanceof GasError) || (err.code !== 'E_MALFORMED_ASSET' && err.code !== 'E_NO_PREVIEW')) return []
    preview = { kind: asset.kind, format: asset.format, info: {}, image: null, clip: null, error: { code: err.code, message: err.message.replace(absolutePath, '').replace(/^: /, '') } }
  }
  return [await store.put('preview', encodePreview(preview))]
}

/** Starts the pool's workers now, so loading their decoders overlaps the caller's walk of the folders. */
export function warmPreviews (): void { previewPool().warm() }

previewAsset.prepare = preparePreview
previewAsset.warm = warmPreviews
previewAsset.inThreadKinds = IN_THREAD_KINDS
