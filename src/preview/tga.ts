import { GasError } from '../errors.js'
import type { ByteSource } from './byte-source.js'
import { MAX_DECODE_PIXELS } from './limits.js'

/**
 * TGA decoder (types 1/2/3 and their RLE forms 9/10/11). Our own because the npm TGA readers are
 * unmaintained or browser-only, and three's TGALoader wants the whole file as one ArrayBuffer;
 * this one streams the pixel data through a bounded window.
 */

export interface TgaImage { width: number, height: number, channels: number, bitDepth: number, alpha: boolean, rgba: Uint8Array, colorMapped: boolean, rle: boolean }

export async function decodeTga (src: ByteSource): Promise<TgaImage> {
  const h = await src.take(18, 'TGA header')
  const bad = (why: string): GasError => GasError.malformedAsset(src.path, `not a valid TGA: ${why}`)
  const idLength = h[0]; const cmapType = h[1]; const type = h[2]
  const cmapFirst = h[3] | (h[4] << 8); const cmapLength = h[5] | (h[6] << 8); const cmapBits = h[7]
  const width = h[12] | (h[13] << 8); const height = h[14] | (h[15] << 8)
  const depth = h[16]; const descriptor = h[17]
  const base = type & ~8
  const rle = (type & 8) !== 0
  if (![1, 2, 3].includes(base) || type > 11) throw bad(`image type ${type}`)
  if (cmapType > 1) throw bad(`colour map type ${cmapType}`)
  if (width === 0 || height === 0) throw bad('zero width or height')
  if (width * height > MAX_DECODE_PIXELS) throw GasError.malformedAsset(src.path, `TGA claims ${width}×${height} pixels, over the ${MAX_DECODE_PIXELS}-pixel preview limit`)
  const validDepth = base === 1 ? depth === 8 : base === 3 ? depth === 8 || depth === 16 : [15, 16, 24, 32].includes(depth)
  if (!validDepth) throw bad(`${depth} bits per pixel for image type ${type}`)
  if (base === 1 && (cmapType !== 1 || ![15, 16, 24, 32].includes(cmapBits))) throw bad('colour-mapped image without a usable colour map')
  src.skip(idLength, 'TGA image id')
  let palette: Uint8Array | null = null
  if (cmapType === 1) {
    const entryBytes = Math.ceil(cmapBits / 8)
    const raw = await src.take(cmapLength * entryBytes, 'TGA colour map')
    palette = new Uint8Array((cmapFirst + cmapLength) * 4)
    for (let i = 0; i < cmapLength; i++) readPixel(raw, i * entryBytes, cmapBits, palette, (cmapFirst + i) * 4)
  }
  const bpp = Math.ceil(depth / 8)
  const pixels = width * height
  // check the claimed size against the bytes present before allocating anything for it
  const minBytes = rle ? Math.ceil(pixels / 128) * (1 + bpp) : pixels * bpp
  if (src.remaining < minBytes) throw GasError.malformedAsset(src.path, `truncated: TGA ${width}×${height} needs ${rle ? 'at least ' : ''}${minBytes} bytes of pixels but only ${src.remaining} remain`)
  const alphaBits = descriptor & 0x0f
  // the alpha channel is decoded whenever the depth has room for one and judged at the end:
  // writers declare 0 alpha bits yet store real alpha, or leave a 16-bit alpha bit 0 everywhere
  const alphaStored = depth === 32 || depth === 16
  const topDown = (descriptor & 0x20) !== 0; const rightToLeft = (descriptor & 0x10) !== 0
  const rgba = new Uint8Array(pixels * 4)
  const px = new Uint8Array(4)
  const decodeOne = (bytes: Uint8Array, o: number, out: Uint8Array, d: number): void => {
    if (base === 1) {
      const idx = bytes[o]
      if (palette === null || idx < cmapFirst || idx >= cmapFirst + cmapLength) throw bad(`colour index ${idx} outside the colour map`)
      const q = idx * 4
      out[d] = palette[q]; out[d + 1] = palette[q + 1]; out[d + 2] = palette[q + 2]; out[d + 3] = palette[q + 3]
    } else if (base === 3) {
      out[d] = out[d + 1] = out[d + 2] = bytes[o]; out[d + 3] = depth === 16 ? bytes[o + 1] : 255
    } else readPixel(bytes, o, depth, out, d)
    if (!alphaStored) out[d + 3] = 255
  }
  // pixels come in file order: rows bottom-up unless topDown, each row left to right unless
  // rightToLeft; `dst` walks the destination so each pixel is written in place, no per-pixel division
  const step = rightToLeft ? -4 : 4
  let n = 0 // pixels written, in file order
  let col = 0
  const rowStart = (row: number): number => ((topDown ? row : height - 1 - row) * width + (rightToLeft ? width - 1 : 0)) * 4
  let dst = rowStart(0)
  const advance = (): void => {
    n++
    if (++col === width) { col = 0; if (n < pixels) dst = rowStart(n / width) } else dst += step
  }
  while (n < pixels) {
    if (!rle) {
      // raw: decode whatever whole pixels the window holds, then refill
      await src.need(Math.min(bpp * 65536, (pixels - n) * bpp), 'TGA pixels')
      const count = Math.min(Math.floor(src.available / bpp), pixels - n)
      const b = src.bytes; let o = src.pos
      if (base === 2 && depth >= 24) {
        // the common true-colour case, inlined: BGR(A) to RGBA
        for (let i = 0; i < count; i++, o += bpp) {
          rgba[dst] = b[o + 2]; rgba[dst + 1] = b[o + 1]; rgba[dst + 2] = b[o]; rgba[dst + 3] = depth === 32 ? b[o + 3] : 255
          advance()
        }
      } else for (let i = 0; i < count; i++, o += bpp) { decodeOne(b, o, rgba, dst); advance() }
      src.pos = o
      continue
    }
    await src.need(1, 'TGA RLE packet')
    const head = src.bytes[src.pos++]
    const count = (head & 0x7f) + 1
    if (n + count > pixels) throw bad(`RLE packet runs ${n + count - pixels} pixels past the end of the image`)
    if ((head & 0x80) !== 0) {
      await src.need(bpp, 'TGA RLE packet')
      decodeOne(src.bytes, src.pos, px, 0); src.pos += bpp
      for (let i = 0; i < count; i++) { rgba[dst] = px[0]; rgba[dst + 1] = px[1]; rgba[dst + 2] = px[2]; rgba[dst + 3] = px[3]; advance() }
    } else {
      await src.need(bpp * count, 'TGA RLE packet')
      for (let i = 0; i < count; i++) { decodeOne(src.bytes, src.pos, rgba, dst); src.pos += bpp; advance() }
    }
  }
  const alpha = alphaStored && usefulAlpha(rgba, alphaBits > 0)
  if (alphaStored && !alpha) for (let i = 3; i < rgba.length; i += 4) rgba[i] = 255
  const channels = base === 3 ? (alpha ? 2 : 1) : alpha ? 4 : 3
  const bitDepth = depth === 15 || (depth === 16 && base !== 3) ? 5 : 8
  return { width, height, channels, bitDepth, alpha, rgba, colorMapped: base === 1, rle }
}

/**
 * Whether stored alpha means anything, as readers such as ImageMagick and Photoshop judge it: all
 * zero is "no alpha" (a 16-bit attribute bit nobody set, or zeros in an undeclared channel); all
 * opaque needs no channel; anything else is real alpha, declared or not.
 */
function usefulAlpha (rgba: Uint8Array, declared: boolean): boolean {
  let min = 255; let max = 0
  for (let i = 3; i < rgba.length; i += 4) { const a = rgba[i]; if (a < min) min = a; if (a > max) max = a }
  if (max === 0) return false
  if (min === 255) return declared
  return true
}

/** One true-colour pixel (BGR order, 15/16-bit as A1R5G5B5) into RGBA. */
function readPixel (b: Uint8Array, o: number, bits: number, out: Uint8Array, d: number): void {
  if (bits === 15 || bits === 16) {
    const v = b[o] | (b[o + 1] << 8)
    const r = (v >> 10) & 31; const g = (v >> 5) & 31; const bl = v & 31
    out[d] = (r << 3) | (r >> 2); out[d + 1] = (g << 3) | (g >> 2); out[d + 2] = (bl << 3) | (bl >> 2)
    out[d + 3] = bits === 16 && (v & 0x8000) === 0 ? 0 : 255
    return
  }
  out[d] = b[o + 2]; out[d + 1] = b[o + 1]; out[d + 2] = b[o]
  out[d + 3] = bits === 32 ? b[o + 3] : 255
}
