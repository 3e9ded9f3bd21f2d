import { GasError } from '../errors.js'
import { decodeCanonical, encodeCanonical, Fields } from './canonical-json.js'
import { isObjectId, type ObjectId } from './id.js'

export const ASSET_KINDS = ['texture', 'model', 'audio', 'video', 'code', 'build', 'document', 'archive', 'engine', 'other'] as const
export type AssetKind = typeof ASSET_KINDS[number]

/** `asset` object: one version of one asset. Size and sha256 repeat the manifest's so listings need not read it. */
export interface Asset {
  file: ObjectId
  size: number
  sha256: string
  kind: AssetKind
  format: string
  tags: Record<string, string>
  previews: ObjectId[]
}

export function encodeAsset (asset: Asset): Uint8Array {
  return encodeCanonical({ ...asset, previews: [...asset.previews].sort() })
}

export function decodeAsset (body: Uint8Array): Asset {
  const f = Fields.of(decodeCanonical(body, 'asset'), 'asset')
  const kind = f.string('kind')
  if (!(ASSET_KINDS as readonly string[]).includes(kind)) f.fail('kind', `one of ${ASSET_KINDS.join(', ')}`)
  const file = f.string('file')
  if (!isObjectId(file)) f.fail('file', 'an object id')
  const previews = f.stringArray('previews')
  if (!previews.every(isObjectId)) f.fail('previews', 'object ids')
  const sha256 = f.string('sha256')
  if (!/^[0-9a-f]{64}$/.test(sha256)) f.fail('sha256', '64 hex digits')
  const size = f.integer('size')
  if (size < 0) f.fail('size', 'non-negative')
  return { file, size, sha256, kind: kind as AssetKind, format: f.string('format'), tags: f.stringMap('tags'), previews }
}

/** Tag keys are identifiers users type on the command line; values are free text. */
export function checkTag (key: string, value: string): void {
  if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(key)) throw GasError.badArgument(`tag key "${key}" must be 1-64 letters, digits, or _ . : -`)
  if (value.length > 1024) throw GasError.badArgument(`tag "${key}" value is longer than 1024 characters`)
}

export function parseTagArgument (text: string): [string, string] {
  const eq = text.indexOf('=')
  if (eq <= 0) throw GasError.badArgument(`tag "${text}" must look like KEY=VALUE`)
  const key = text.slice(0, eq)
  const value = text.slice(eq + 1)
  checkTag(key, value)
  return [key, value]
}
