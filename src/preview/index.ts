/**
 * Asset previews: small derived images, clips and facts about an asset, generated per kind.
 * Every generator bounds its time and memory by the caps in limits.ts and reports anything it
 * cannot read as E_MALFORMED_ASSET (corrupt) or E_NO_PREVIEW (nothing to show for this kind).
 */
import { stat } from 'node:fs/promises'
import { GasError, fromFsError } from '../errors.js'
import { DEFAULT_THUMBNAIL_SIZE, MAX_THUMBNAIL_SIZE } from './limits.js'
import type { GenerateOpts, PreviewParts, PreviewResult } from './types.js'

export type { PreviewImage, PreviewClip, PreviewResult } from './types.js'

type Generator = (opts: GenerateOpts) => Promise<PreviewParts>

/**
 * Each kind's generator, loaded when first used. why: the image and model decoders (sharp, three,
 * ~0.1 CPU s) belong in the preview workers; a code or text preview, made in the calling thread
 * (attach.ts), loads only its own few lines.
 */
const GENERATORS: Record<string, () => Promise<Generator>> = {
  texture: async () => (await import('./texture.js')).texturePreview,
  model: async () => (await import('./model.js')).modelPreview,
  audio: async () => (await import('./audio.js')).audioPreview,
  // container metadata (duration, streams) is what we can read without a video decoder
  video: async () => (await import('./audio.js')).audioPreview,
  archive: async () => (await import('./archive.js')).archivePreview,
  build: async () => (await import('./build.js')).buildPreview,
  code: async () => (await import('./text.js')).textPreview,
  document: async () => (await import('./text.js')).textPreview,
  engine: async () => (await import('./engine.js')).enginePreview
}

export async function generatePreview (opts: { path: string, kind: string, format: string, size?: number }): Promise<PreviewResult> {
  if (typeof opts !== 'object' || opts === null) throw GasError.badArgument('generatePreview needs an options object { path, kind, format }')
  const { path, kind, format } = opts
  if (typeof path !== 'string' || path === '') throw GasError.badArgument('generatePreview: path must be a non-empty string')
  if (typeof kind !== 'string') throw GasError.badArgument('generatePreview: kind must be a string')
  if (typeof format !== 'string') throw GasError.badArgument('generatePreview: format must be a string')
  const size = opts.size ?? DEFAULT_THUMBNAIL_SIZE
  if (!Number.isInteger(size) || size < 1 || size > MAX_THUMBNAIL_SIZE) throw GasError.badArgument(`generatePreview: size must be an integer 1..${MAX_THUMBNAIL_SIZE}, got ${String(size)}`)
  const load = GENERATORS[kind]
  if (load === undefined) throw new GasError('E_NO_PREVIEW', `no preview for this kind: ${kind}`, { path, kind })
  const fmt = format.toLowerCase().replace(/^\./, '')
  // a missing file or a folder is the caller's mistake, not a malformed asset
  const st = await stat(path).catch(err => { throw fromFsError(err, path) })
  if (!st.isFile()) throw GasError.badArgument(`${path}: not a regular file`, { path })
  // outside the try: a decoder that cannot load is this installation's fault, not the file's
  const generate = await load()
  try {
    const parts = await generate({ path, kind, format: fmt, size })
    return { kind, format: fmt, ...parts }
  } catch (err) {
    if (err instanceof GasError) throw err
    // a decoder tripping over bytes it did not expect is still the file's fault, not a crash
    const why = err instanceof Error ? err.message : String(err)
    throw GasError.malformedAsset(path, `cannot read ${fmt} ${kind}: ${why.split('\n')[0]}`)
  }
}
