import { GasError } from '../errors.js'
import type { Asset } from '../objects/asset.js'
import type { ObjectId } from '../objects/id.js'
import { encodePreview, type PreviewObject } from '../objects/preview.js'
import type { ObjectStore } from '../objects/store.js'
import { generatePreview } from './index.js'

/** Info must survive canonical JSON on every peer: non-finite numbers (silence is -Infinity dB) become null. */
function jsonSafe (value: unknown): unknown {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null
  if (Array.isArray(value)) return value.map(jsonSafe)
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined).map(([k, v]) => [k, jsonSafe(v)]))
  return value
}

/**
 * Generates the preview of one asset and stores it as a `preview` object. A malformed asset gets a
 * preview recording the error, so peers learn it without the content; a kind with nothing to show
 * gets none. The asset itself is always stored, whatever happens here.
 */
export async function previewAsset (absolutePath: string, asset: Asset, store: ObjectStore): Promise<ObjectId[]> {
  let preview: PreviewObject
  try {
    const result = await generatePreview({ path: absolutePath, kind: asset.kind, format: asset.format })
    preview = { kind: result.kind, format: result.format, info: jsonSafe(result.info) as Record<string, unknown>, image: result.image, clip: result.clip, error: null }
  } catch (err) {
    if (!(err instanceof GasError) || err.code !== 'E_MALFORMED_ASSET') return []
    preview = { kind: asset.kind, format: asset.format, info: {}, image: null, clip: null, error: { code: err.code, message: err.message.replace(absolutePath, '').replace(/^: /, '') } }
  }
  return [await store.put('preview', encodePreview(preview))]
}
