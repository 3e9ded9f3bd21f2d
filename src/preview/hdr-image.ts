import { open, stat } from 'node:fs/promises'
import { FloatType, RedFormat, RGFormat } from 'three'
import { EXRLoader } from 'three/examples/jsm/loaders/EXRLoader.js'
import { HDRLoader } from 'three/examples/jsm/loaders/HDRLoader.js'
import { GasError, fromFsError } from '../errors.js'
import { exrHeaderSize } from './exr-header.js'
import { installThreeEnv } from './three-env.js'
import { thumbnailFromPixels } from './thumbnail.js'
import { percentile, tone, toSrgb8 } from './tone-map.js'
import type { PreviewParts } from './types.js'

installThreeEnv()

/**
 * OpenEXR and Radiance HDR textures through three's EXRLoader and HDRLoader (pure JavaScript:
 * every EXR compression three knows, RGBE with RLE), tone-mapped to a thumbnail: exposure set so
 * the 99th-percentile luminance is white, then sRGB. The loaders
 * take the whole file and make 16 bytes a pixel, so images above MAX_HDR_PIXELS are E_NO_PREVIEW.
 * Highlights above the white point clip: a thumbnail is for recognising the texture.
 */
export const MAX_HDR_PIXELS = 4096 * 4096
const MAX_HDR_BYTES = 512 * 1024 * 1024

export async function hdrPreview (path: string, format: 'exr' | 'hdr', size: number): Promise<PreviewParts> {
  const bytes = await stat(path).then(s => s.size, err => { throw fromFsError(err, path) })
  if (bytes > MAX_HDR_BYTES) throw new GasError('E_NO_PREVIEW', `${path}: ${format.toUpperCase()} of ${bytes} bytes is over the ${MAX_HDR_BYTES}-byte HDR preview limit`, { path })
  // one zero byte past the end: a loader scanning for a name's end stops there at the latest
  const padded = await readPadded(path, bytes)
  const whole = padded.subarray(0, bytes)
  if (format === 'exr' && whole.readUInt32LE(0) !== 20000630) throw GasError.malformedAsset(path, 'not a valid OpenEXR: missing magic number')
  if (format === 'hdr' && !/^#\?(RADIANCE|RGBE)/.test(whole.toString('latin1', 0, 11))) throw GasError.malformedAsset(path, 'not a valid Radiance HDR: missing "#?RADIANCE" header')
  // the loaders allocate for the size the header states before reading a pixel: check it first
  const claimed = format === 'exr' ? exrHeaderSize(whole, path) : hdrSize(whole)
  if (claimed === null) throw GasError.malformedAsset(path, `not a valid ${format === 'exr' ? 'OpenEXR: no dataWindow' : 'Radiance HDR: no "-Y h +X w" resolution line'}`)
  if (claimed.width * claimed.height > MAX_HDR_PIXELS) throw new GasError('E_NO_PREVIEW', `${path}: ${claimed.width}×${claimed.height} is over the ${MAX_HDR_PIXELS}-pixel HDR preview limit`, { path })
  const ab = padded.buffer.slice(padded.byteOffset, padded.byteOffset + padded.byteLength) as ArrayBuffer
  let tex: { width: number, height: number, data: Float32Array, format?: number, header?: Record<string, unknown> | string, gamma?: number }
  try {
    tex = format === 'exr' ? new EXRLoader().setDataType(FloatType).parse(ab) as any : new HDRLoader().setDataType(FloatType).parse(ab) as any
  } catch (err) {
    throw GasError.malformedAsset(path, `not a valid ${format === 'exr' ? 'OpenEXR' : 'Radiance HDR'}: ${String((err as Error)?.message ?? err).replace(/^THREE\.\w+: /, '')}`)
  }
  const { width, height, data } = tex
  // a Radiance header's GAMMA= (ImageMagick writes 0.454545) says the values were stored gamma-encoded: undo it
  const gamma = format === 'hdr' && typeof tex.gamma === 'number' ? tex.gamma : 1
  if (Math.abs(gamma - 1) > 0.01 && gamma > 0) for (let i = 0; i < data.length; i++) data[i] = data[i] > 0 ? data[i] ** (1 / gamma) : 0
  if (!(width > 0 && height > 0) || width * height > MAX_HDR_PIXELS) throw new GasError('E_NO_PREVIEW', `${path}: ${width}×${height} is over the ${MAX_HDR_PIXELS}-pixel HDR preview limit`, { path })
  const stride = tex.format === RedFormat ? 1 : tex.format === RGFormat ? 2 : 4
  if (data.length < width * height * stride) throw GasError.malformedAsset(path, `${format.toUpperCase()} decoded to fewer pixels than its size`)
  // EXRLoader hands rows bottom-up (GL order), HDRLoader top-down as stored
  const bottomUp = format === 'exr'
  const lum = new Float32Array(width * height)
  let peak = 0
  for (let i = 0; i < width * height; i++) {
    const r = data[i * stride]; const g = stride > 1 ? data[i * stride + 1] : r; const b = stride > 2 ? data[i * stride + 2] : r
    const l = 0.2126 * r + 0.7152 * g + 0.0722 * b
    lum[i] = Number.isFinite(l) ? Math.max(0, l) : 0
    if (lum[i] > peak) peak = lum[i]
  }
  const white = percentile(lum, 0.99) || peak || 1
  const rgba = new Uint8Array(width * height * 4)
  // HDRLoader always gives RGBA (alpha 1); an EXR has alpha only when it stores an A channel
  const channels = format === 'exr' && typeof tex.header === 'object' ? ((tex.header as { channels?: Array<{ name: string }> }).channels ?? []).map(c => c.name) : ['R', 'G', 'B']
  const alpha = stride === 4 && channels.includes('A')
  for (let y = 0; y < height; y++) {
    const src = bottomUp ? height - 1 - y : y
    for (let x = 0; x < width; x++) {
      const i = src * width + x; const o = (y * width + x) * 4
      for (let c = 0; c < 3; c++) rgba[o + c] = toSrgb8(tone((stride > c ? data[i * stride + c] : data[i * stride]) / white))
      rgba[o + 3] = alpha ? Math.round(Math.max(0, Math.min(1, data[i * 4 + 3])) * 255) : 255
    }
  }
  const image = await thumbnailFromPixels(rgba, width, height, 4, size, alpha)
  const info: Record<string, unknown> = { width, height, channels: channels.length, bitDepth: 32, float: true, alpha, peakLuminance: peak, whitePoint: white }
  if (format === 'exr' && typeof tex.header === 'object' && tex.header !== null) {
    const h = tex.header as Record<string, unknown>
    if (typeof h.compression === 'string') info.compression = h.compression
  }
  return { info, image, clip: null }
}

/** The file's bytes and one zero after them. */
async function readPadded (path: string, bytes: number): Promise<Buffer> {
  const out = Buffer.alloc(bytes + 1)
  const fh = await open(path, 'r').catch(err => { throw fromFsError(err, path) })
  try {
    let done = 0
    while (done < bytes) {
      const { bytesRead } = await fh.read(out, done, bytes - done, done)
      if (bytesRead === 0) throw GasError.malformedAsset(path, `truncated: file shrank while reading at offset ${done}`)
      done += bytesRead
    }
  } catch (err) { throw err instanceof GasError ? err : fromFsError(err, path) } finally { await fh.close() }
  return out
}

/** A Radiance header's resolution line ("-Y 512 +X 1024" and its flipped forms). */
function hdrSize (b: Buffer): { width: number, height: number } | null {
  const m = /\n[-+]([XY]) (\d+) [-+]([XY]) (\d+)\n/.exec(b.toString('latin1', 0, Math.min(b.length, 64 * 1024)))
  if (m === null) return null
  const first = Number(m[2]); const second = Number(m[4])
  return m[1] === 'Y' ? { width: second, height: first } : { width: first, height: second }
}
