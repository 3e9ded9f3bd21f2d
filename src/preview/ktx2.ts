import { readFile, stat } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname } from 'node:path'
import { inflateSync } from 'node:zlib'
import { read as readKtx2, KHR_DF_MODEL_UASTC, KHR_SUPERCOMPRESSION_BASISLZ, KHR_SUPERCOMPRESSION_ZLIB, KHR_SUPERCOMPRESSION_ZSTD, type KTX2Container } from 'ktx-parse'
import { GasError, fromFsError } from '../errors.js'
import { decodeBc, type BcFormat } from './bc.js'
import { MAX_DECODE_PIXELS } from './limits.js'
import { thumbnailFromPixels } from './thumbnail.js'
import type { PreviewParts } from './types.js'

/**
 * KTX2 textures: the container through `ktx-parse` (Khronos' reference parser); Basis Universal
 * payloads (ETC1S/BasisLZ and UASTC) transcoded to RGBA by Binomial's own transcoder (the wasm
 * build three ships for its KTX2Loader); BCn and plain 8-bit formats decoded here; Zstandard and
 * zlib supercompression undone. The smallest mip level that covers the thumbnail is decoded.
 */
const MAX_KTX2_BYTES = 512 * 1024 * 1024
const PLAIN: Record<number, { channels: number, order: number[] }> = {
  9: { channels: 1, order: [0, 0, 0] }, 15: { channels: 1, order: [0, 0, 0] }, // R8 unorm / srgb
  16: { channels: 2, order: [0, 1, -1] }, 22: { channels: 2, order: [0, 1, -1] }, // R8G8
  23: { channels: 3, order: [0, 1, 2] }, 29: { channels: 3, order: [0, 1, 2] }, // R8G8B8
  30: { channels: 3, order: [2, 1, 0] }, 36: { channels: 3, order: [2, 1, 0] }, // B8G8R8
  37: { channels: 4, order: [0, 1, 2, 3] }, 43: { channels: 4, order: [0, 1, 2, 3] }, // R8G8B8A8
  44: { channels: 4, order: [2, 1, 0, 3] }, 50: { channels: 4, order: [2, 1, 0, 3] } // B8G8R8A8
}
const BLOCK: Record<number, BcFormat> = { 131: 'bc1', 132: 'bc1', 133: 'bc1', 134: 'bc1', 135: 'bc2', 136: 'bc2', 137: 'bc3', 138: 'bc3', 139: 'bc4', 140: 'bc4s', 141: 'bc5', 142: 'bc5s', 143: 'bc6h', 144: 'bc6hs', 145: 'bc7', 146: 'bc7' }
/** basis_transcoder's transcoder_texture_format value for 32-bit RGBA. */
const TF_RGBA32 = 13

export async function ktx2Preview (path: string, size: number): Promise<PreviewParts> {
  const bytes = await stat(path).then(s => s.size, err => { throw fromFsError(err, path) })
  if (bytes > MAX_KTX2_BYTES) throw new GasError('E_NO_PREVIEW', `${path}: KTX2 of ${bytes} bytes is over the ${MAX_KTX2_BYTES}-byte preview limit`, { path })
  const whole = new Uint8Array(await readFile(path).catch(err => { throw fromFsError(err, path) }))
  let ktx: KTX2Container
  try { ktx = readKtx2(whole) } catch (err) { throw GasError.malformedAsset(path, `not a valid KTX2: ${String((err as Error)?.message ?? err)}`) }
  const width = ktx.pixelWidth; const height = Math.max(1, ktx.pixelHeight)
  if (width < 1 || width * height > MAX_DECODE_PIXELS) throw GasError.malformedAsset(path, `KTX2 claims ${width}×${height} pixels`)
  if (ktx.levels.length === 0) throw GasError.malformedAsset(path, 'KTX2 has no mip levels')
  const model = ktx.dataFormatDescriptor[0]?.colorModel
  const basis = ktx.supercompressionScheme === KHR_SUPERCOMPRESSION_BASISLZ || (ktx.vkFormat === 0 && model === KHR_DF_MODEL_UASTC)
  // smallest level whose long side still covers the thumbnail
  let level = 0
  while (level + 1 < ktx.levels.length && Math.max(width >> (level + 1), height >> (level + 1)) >= size) level++
  const lw = Math.max(1, width >> level); const lh = Math.max(1, height >> level)
  const info: Record<string, unknown> = { width, height, mipCount: ktx.levels.length, layers: Math.max(1, ktx.layerCount), faces: ktx.faceCount, vkFormat: ktx.vkFormat, previewMip: level }
  let rgba: Uint8Array
  if (basis) {
    info.compression = ktx.supercompressionScheme === KHR_SUPERCOMPRESSION_BASISLZ ? 'basis-etc1s' : 'basis-uastc'
    rgba = await transcodeBasis(path, whole, level, lw, lh)
  } else {
    const data = unsupercompress(path, ktx, level)
    const plain = PLAIN[ktx.vkFormat]; const block = BLOCK[ktx.vkFormat]
    if (block !== undefined) {
      info.compression = block
      const need = Math.ceil(lw / 4) * Math.ceil(lh / 4) * (block === 'bc1' || block === 'bc4' || block === 'bc4s' ? 8 : 16)
      if (data.length < need) throw GasError.malformedAsset(path, `truncated: KTX2 level ${level} holds ${data.length} bytes, ${need} needed`)
      rgba = decodeBc(data, lw, lh, block)
    } else if (plain !== undefined) {
      info.compression = 'none'
      if (data.length < lw * lh * plain.channels) throw GasError.malformedAsset(path, `truncated: KTX2 level ${level} holds ${data.length} bytes`)
      rgba = new Uint8Array(lw * lh * 4)
      for (let i = 0; i < lw * lh; i++) {
        for (let c = 0; c < 3; c++) rgba[i * 4 + c] = plain.order[c] < 0 ? 0 : data[i * plain.channels + plain.order[c]]
        rgba[i * 4 + 3] = plain.channels === 4 ? data[i * 4 + plain.order[3]] : 255
      }
    } else {
      throw new GasError('E_NO_PREVIEW', `no preview for this KTX2 format: vkFormat ${ktx.vkFormat} (supported: Basis Universal ETC1S/UASTC, BC1–BC7 (BC6H tone-mapped), 8-bit R/RG/RGB/RGBA/BGRA)`, { path })
    }
  }
  let opaque = true
  for (let i = 3; i < rgba.length; i += 4) if (rgba[i] !== 255) { opaque = false; break }
  info.alpha = !opaque
  const image = await thumbnailFromPixels(rgba, lw, lh, 4, size, !opaque)
  return { info, image, clip: null }
}

function unsupercompress (path: string, ktx: KTX2Container, level: number): Uint8Array {
  const { levelData, uncompressedByteLength } = ktx.levels[level]
  try {
    if (ktx.supercompressionScheme === KHR_SUPERCOMPRESSION_ZLIB) return inflateSync(levelData, { maxOutputLength: Math.max(1, uncompressedByteLength) })
    if (ktx.supercompressionScheme === KHR_SUPERCOMPRESSION_ZSTD) return zstdDecompress(levelData, uncompressedByteLength)
  } catch (err) { throw GasError.malformedAsset(path, `KTX2 level ${level} does not decompress: ${String((err as Error)?.message ?? err)}`) }
  if (ktx.supercompressionScheme !== 0) throw new GasError('E_NO_PREVIEW', `no preview for KTX2 supercompression scheme ${ktx.supercompressionScheme}`, { path })
  return levelData
}

let zstd: ((b: Uint8Array, n: number) => Uint8Array) | undefined
function zstdDecompress (b: Uint8Array, n: number): Uint8Array {
  if (zstd === undefined) throw new Error('zstd is not loaded')
  return zstd(b, n)
}
/** Zstandard from the store's own codec (@toondepauw/node-zstd), loaded once. */
export async function loadZstd (): Promise<void> {
  if (zstd !== undefined) return
  const m = await import('@toondepauw/node-zstd') as any
  const Decoder = m.Decoder ?? m.default?.Decoder
  const dec = new Decoder()
  zstd = (b) => new Uint8Array(dec.decodeSync(Buffer.from(b)))
}

let basisModule: Promise<any> | undefined
/** Binomial's basis_transcoder (an Emscripten CommonJS module inside three's ESM package): evaluated as CommonJS here. */
async function basisTranscoder (): Promise<any> {
  basisModule ??= (async () => {
    const js = createRequire(import.meta.url).resolve('three/examples/jsm/libs/basis/basis_transcoder.js')
    const [source, wasmBinary] = await Promise.all([readFile(js, 'utf8'), readFile(js.replace(/\.js$/, '.wasm'))])
    const module = { exports: {} as any }
    // eslint-disable-next-line no-new-func
    new Function('module', 'exports', '__filename', '__dirname', 'require', source)(module, module.exports, js, dirname(js), createRequire(js))
    const BASIS = module.exports
    const m = await BASIS({ wasmBinary })
    m.initializeBasis()
    return m
  })()
  return await basisModule
}

async function transcodeBasis (path: string, bytes: Uint8Array, level: number, w: number, h: number): Promise<Uint8Array> {
  const m = await basisTranscoder()
  const file = new m.KTX2File(bytes)
  try {
    if (!(file.isValid() as boolean)) throw GasError.malformedAsset(path, 'not a valid Basis Universal KTX2')
    if (!(file.startTranscoding() as boolean)) throw GasError.malformedAsset(path, 'Basis Universal data does not transcode')
    const length = file.getImageTranscodedSizeInBytes(level, 0, 0, TF_RGBA32)
    if (length !== w * h * 4) throw GasError.malformedAsset(path, `Basis level ${level} transcodes to ${length} bytes, expected ${w * h * 4}`)
    const out = new Uint8Array(length)
    if (!(file.transcodeImage(out, level, 0, 0, TF_RGBA32, 0, -1, -1) as boolean)) throw GasError.malformedAsset(path, `Basis level ${level} does not transcode`)
    return out
  } finally { file.close(); file.delete() }
}
