/**
 * Embedded metadata (EXIF, ID3, glTF asset fields, …) as asset tags: keys become `meta.<name>`
 * and must pass the tag rules (objects/asset.ts checkTag), values are trimmed single-line text.
 */
export const META_PREFIX = 'meta.'
const MAX_VALUE = 256

/** Plain strings for the tag values that are present; keys are given without the prefix. */
export function metaTags (raw: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined || value === null) continue
    let text = typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : JSON.stringify(value)
    text = text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim()
    if (text === '' || text === '{}' || text === '[]') continue
    if (typeof value === 'number' && !Number.isFinite(value)) continue
    const key = name.replace(/[^A-Za-z0-9_.:-]/g, '_').slice(0, 64 - META_PREFIX.length)
    if (key === '') continue
    out[key] = text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE - 1)}…` : text
  }
  return out
}

/**
 * Adds `meta.*` tags to an asset's tags without touching any tag a person set: a key already
 * present keeps its value unless it was embedded metadata of the previous version (`previous`).
 */
export function mergeMetaTags (tags: Record<string, string>, meta: Record<string, string>, previous: Record<string, string> = {}): Record<string, string> {
  const out = { ...tags }
  // embedded values of the previous version that nobody edited are replaced by the new ones
  for (const [k, v] of Object.entries(previous)) if (out[META_PREFIX + k] === v && !(k in meta)) delete out[META_PREFIX + k]
  for (const [k, v] of Object.entries(meta)) {
    const key = META_PREFIX + k
    if (out[key] === undefined || previous[k] === out[key]) out[key] = v
  }
  return out
}
