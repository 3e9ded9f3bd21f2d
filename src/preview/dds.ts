import { GasError } from '../errors.js'
import type { ByteSource } from './byte-source.js'
import { BC_BLOCK_BYTES, decodeBc, type BcFormat } from './bc.js'
import { MAX_DECODE_PIXELS } from './limits.js'

/**
 * DDS reader: legacy 124-byte header plus the optional DX10 extension. Reads only the header and
 * the one mip level the thumbnail needs; the rest of the file is never loaded.
 */

const DDSD_MIPMAPCOUNT = 0x20000
const DDPF_ALPHAPIXELS = 0x1
const DDPF_FOURCC = 0x4
const DDPF_RGB = 0x40
const DDPF_LUMINANCE = 0x20000
const DDSCAPS2_CUBEMAP = 0x200

interface MaskFormat { kind: 'masks', bits: number, masks: [number, number, number, number], luminance: boolean }
type PixelFormat = { kind: BcFormat } | MaskFormat

export interface DdsHeader {
  width: number
  height: number
  mipCount: number
  format: PixelFormat
  formatName: string
  alpha: boolean
  channels: number
  cubemap: boolean
  arraySize: number
  dataOffset: number
}

/** DXGI formats we can decode, by DXGI_FORMAT value. */
const DXGI: Record<number, { format: PixelFormat, name: string }> = {
  28: { format: { kind: 'masks', bits: 32, masks: [0xff, 0xff00, 0xff0000, 0xff000000], luminance: false }, name: 'rgba8' },
  29: { format: { kind: 'masks', bits: 32, masks: [0xff, 0xff00, 0xff0000, 0xff000000], luminance: false }, name: 'rgba8-srgb' },
  87: { format: { kind: 'masks', bits: 32, masks: [0xff0000, 0xff00, 0xff, 0xff000000], luminance: false }, name: 'bgra8' },
  91: { format: { kind: 'masks', bits: 32, masks: [0xff0000, 0xff00, 0xff, 0xff000000], luminance: false }, name: 'bgra8-srgb' },
  71: { format: { kind: 'bc1' }, name: 'bc1' },
  72: { format: { kind: 'bc1' }, name: 'bc1-srgb' },
  74: { format: { kind: 'bc2' }, name: 'bc2' },
  75: { format: { kind: 'bc2' }, name: 'bc2-srgb' },
  77: { format: { kind: 'bc3' }, name: 'bc3' },
  78: { format: { kind: 'bc3' }, name: 'bc3-srgb' },
  80: { format: { kind: 'bc4' }, name: 'bc4' },
  83: { format: { kind: 'bc5' }, name: 'bc5' },
  81: { format: { kind: 'bc4s' }, name: 'bc4-snorm' },
  84: { format: { kind: 'bc5s' }, name: 'bc5-snorm' },
  95: { format: { kind: 'bc6h' }, name: 'bc6h-uf16' },
  96: { format: { kind: 'bc6hs' }, name: 'bc6h-sf16' },
  98: { format: { kind: 'bc7' }, name: 'bc7' },
  99: { format: { kind: 'bc7' }, name: 'bc7-srgb' },
  61: { format: { kind: 'masks', bits: 8, masks: [0xff, 0, 0, 0], luminance: true }, name: 'r8' },
  65: { format: { kind: 'masks', bits: 8, masks: [0, 0, 0, 0xff], luminance: false }, name: 'a8' }
}
/** DXGI formats we know but do not decode, named in the E_NO_PREVIEW reason. */
const DXGI_UNSUPPORTED: Record<number, string> = { 2: 'rgba32f', 10: 'rgba16f', 24: 'rgb10a2' }
const SUPPORTED = 'uncompressed RGBA/BGRA/R8/L8/A8, BC1–BC5 (signed too), BC6H (unsigned and signed), BC7'

const FOURCC: Record<string, BcFormat> = { DXT1: 'bc1', DXT2: 'bc2', DXT3: 'bc2', DXT4: 'bc3', DXT5: 'bc3', ATI1: 'bc4', BC4U: 'bc4', ATI2: 'bc5', BC5U: 'bc5', BC4S: 'bc4s', BC5S: 'bc5s' }

export async function readDdsHeader (src: ByteSource): Promise<DdsHeader> {
  const head = await src.take(128, 'DDS header')
  const dv = new DataView(head.buffer, head.byteOffset, head.length)
  const bad = (why: string): GasError => GasError.malformedAsset(src.path, `not a valid DDS: ${why}`)
  if (String.fromCharCode(head[0], head[1], head[2], head[3]) !== 'DDS ') throw bad('missing "DDS " magic')
  if (dv.getUint32(4, true) !== 124) throw bad(`header size ${dv.getUint32(4, true)}, expected 124`)
  const flags = dv.getUint32(8, true)
  const height = dv.getUint32(12, true); const width = dv.getUint32(16, true)
  if (width === 0 || height === 0) throw bad('zero width or height')
  if (width * height > MAX_DECODE_PIXELS) throw GasError.malformedAsset(src.path, `DDS claims ${width}×${height} pixels, over the ${MAX_DECODE_PIXELS}-pixel preview limit`)
  const maxMips = 1 + Math.floor(Math.log2(Math.max(width, height)))
  const mipCount = (flags & DDSD_MIPMAPCOUNT) !== 0 ? Math.max(1, dv.getUint32(28, true)) : 1
  if (mipCount > maxMips) throw bad(`${mipCount} mip levels for a ${width}×${height} image (at most ${maxMips})`)
  const pfFlags = dv.getUint32(80, true)
  const fourCC = String.fromCharCode(head[84], head[85], head[86], head[87])
  const cubemap = (dv.getUint32(112, true) & DDSCAPS2_CUBEMAP) !== 0
  let format: PixelFormat; let formatName: string; let arraySize = 1
  if ((pfFlags & DDPF_FOURCC) !== 0 && fourCC === 'DX10') {
    const ext = await src.take(20, 'DDS DX10 header')
    const edv = new DataView(ext.buffer, ext.byteOffset, ext.length)
    const dxgi = edv.getUint32(0, true)
    arraySize = Math.max(1, edv.getUint32(12, true))
    const known = DXGI[dxgi]
    if (known === undefined) {
      const name = DXGI_UNSUPPORTED[dxgi]
      throw new GasError('E_NO_PREVIEW', `no preview for this DDS format: ${name ?? `DXGI format ${dxgi}`} (supported: ${SUPPORTED})`, { path: src.path })
    }
    format = known.format; formatName = known.name
  } else if ((pfFlags & DDPF_FOURCC) !== 0) {
    const bc = FOURCC[fourCC]
    if (bc === undefined) throw new GasError('E_NO_PREVIEW', `no preview for this DDS format: FourCC "${fourCC.replace(/[^\x20-\x7e]/g, '?')}" (supported: ${SUPPORTED})`, { path: src.path })
    format = { kind: bc }; formatName = bc
  } else if ((pfFlags & (DDPF_RGB | DDPF_LUMINANCE)) !== 0) {
    const bits = dv.getUint32(88, true)
    if (bits !== 8 && bits !== 16 && bits !== 24 && bits !== 32) throw bad(`${bits} bits per pixel`)
    const masks: [number, number, number, number] = [dv.getUint32(92, true), dv.getUint32(96, true), dv.getUint32(100, true), (pfFlags & DDPF_ALPHAPIXELS) !== 0 ? dv.getUint32(104, true) : 0]
    format = { kind: 'masks', bits, masks, luminance: (pfFlags & DDPF_LUMINANCE) !== 0 }
    formatName = (pfFlags & DDPF_LUMINANCE) !== 0 ? `l${bits}` : `rgb${bits}`
  } else throw bad(`unknown pixel format flags 0x${pfFlags.toString(16)}`)
  const alpha = format.kind === 'masks' ? format.masks[3] !== 0 : format.kind === 'bc2' || format.kind === 'bc3' || format.kind === 'bc7' || (format.kind === 'bc1' && (pfFlags & DDPF_ALPHAPIXELS) !== 0)
  const channels = format.kind === 'bc4' || format.kind === 'bc4s' || (format.kind === 'masks' && format.luminance) ? (alpha ? 2 : 1) : format.kind === 'bc5' || format.kind === 'bc5s' ? 2 : alpha ? 4 : 3
  const header: DdsHeader = { width, height, mipCount, format, formatName, alpha, channels, cubemap, arraySize, dataOffset: src.offset }
  // the whole mip chain of the first face must be present, or the file is truncated
  const chain = mipOffset(header, mipCount)
  if (header.dataOffset + chain > src.size) throw GasError.malformedAsset(src.path, `truncated: DDS mip chain needs ${chain} bytes but only ${src.size - header.dataOffset} follow the header`)
  return header
}

export function mipSize (h: DdsHeader, level: number): { width: number, height: number, bytes: number } {
  const width = Math.max(1, h.width >> level); const height = Math.max(1, h.height >> level)
  const f = h.format
  const bytes = f.kind === 'masks' ? width * height * (f.bits / 8) : Math.ceil(width / 4) * Math.ceil(height / 4) * BC_BLOCK_BYTES[f.kind]
  return { width, height, bytes }
}

/** Byte offset of a level from the start of the pixel data (first face). */
function mipOffset (h: DdsHeader, level: number): number {
  let offset = 0
  for (let l = 0; l < level; l++) offset += mipSize(h, l).bytes
  return offset
}

/** Smallest level whose long side still covers the thumbnail, so downscaling never upsamples. */
export function pickMip (h: DdsHeader, size: number): number {
  let level = 0
  while (level + 1 < h.mipCount) {
    const next = mipSize(h, level + 1)
    if (Math.max(next.width, next.height) < size) break
    level++
  }
  return level
}

export async function decodeDdsMip (src: ByteSource, h: DdsHeader, level: number): Promise<{ width: number, height: number, rgba: Uint8Array }> {
  const m = mipSize(h, level)
  const bytes = await src.readAt(h.dataOffset + mipOffset(h, level), m.bytes, `DDS mip ${level}`)
  const f = h.format
  if (f.kind !== 'masks') return { width: m.width, height: m.height, rgba: decodeBc(bytes, m.width, m.height, f.kind) }
  return { width: m.width, height: m.height, rgba: decodeMasked(bytes, m.width * m.height, f) }
}

function decodeMasked (bytes: Uint8Array, pixels: number, f: MaskFormat): Uint8Array {
  const out = new Uint8Array(pixels * 4)
  const bpp = f.bits / 8
  const shifts = f.masks.map(m => (m === 0 ? 0 : Math.log2(m & -m)))
  const maxes = f.masks.map((m, i) => (m >>> shifts[i]))
  for (let i = 0; i < pixels; i++) {
    let v = 0
    for (let k = bpp - 1; k >= 0; k--) v = (v * 256) + bytes[i * bpp + k]
    for (let c = 0; c < 4; c++) {
      const m = f.masks[c]
      out[i * 4 + c] = m === 0 ? (c === 3 ? 255 : 0) : Math.round((((v & m) >>> 0) / 2 ** shifts[c]) * 255 / maxes[c])
    }
    if (f.luminance) { out[i * 4 + 1] = out[i * 4]; out[i * 4 + 2] = out[i * 4] }
  }
  return out
}
