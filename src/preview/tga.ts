import { GasError } from '../errors.js'
import type { ByteSource } from './byte-source.js'
import { BoxShrinker, shrinkFactor } from './box-shrink.js'
import { MAX_DECODE_PIXELS } from './limits.js'

/**
 * TGA decoder (types 1/2/3 and their RLE forms 9/10/11). Our own because the npm TGA readers are
 * unmaintained or browser-only, and three's TGALoader wants the whole file as one ArrayBuffer;
 * this one streams the pixel data through a bounded window, row by row.
 */

/** width/height are the file's; rgba is rgbaWidth × rgbaHeight (smaller when shrunk for a thumbnail). */
export interface TgaImage { width: number, height: number, channels: number, bitDepth: number, alpha: boolean, rgba: Uint8Array, rgbaWidth: number, rgbaHeight: number, colorMapped: boolean, rle: boolean }

/**
 * `thumbnailSize`: the pixels are only wanted for a thumbnail of this long side, so they are
 * box-averaged while decoding to no less than twice that (box-shrink.ts); the facts stay the file's.
 */
export async function decodeTga (src: ByteSource, opts: { thumbnailSize?: number } = {}): Promise<TgaImage> {
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
  const layout: RowLayout = { width, height, bpp, rle, topDown, rightToLeft, trueColour: base === 2 && depth >= 24 ? depth : 0, alphaStored, decodeOne, bad }
  const pixelStart = src.offset
  const factor = opts.thumbnailSize === undefined ? 1 : shrinkFactor(width, height, opts.thumbnailSize)
  let rgba: Uint8Array; let alphaRange: { min: number, max: number }
  let rgbaWidth = width; let rgbaHeight = height
  if (factor === 1) {
    rgba = new Uint8Array(pixels * 4)
    alphaRange = await decodeRows(src, layout, (y, row) => rgba.set(row, y * width * 4))
  } else {
    let shrinker = new BoxShrinker(width, height, factor, alphaStored)
    alphaRange = await decodeRows(src, layout, (y, row) => shrinker.addRow(y, row), shrinker)
    if (alphaStored && alphaRange.max === 0) {
      // alpha zero everywhere is no alpha (below), and weighting colour by it would leave black: again, unweighted
      src.seek(pixelStart, 'TGA pixels')
      shrinker = new BoxShrinker(width, height, factor, false)
      await decodeRows(src, layout, (y, row) => shrinker.addRow(y, row), shrinker)
    }
    rgba = shrinker.result(); rgbaWidth = shrinker.outWidth; rgbaHeight = shrinker.outHeight
  }
  const alpha = alphaStored && usefulAlpha(alphaRange, alphaBits > 0)
  if (alphaStored && !alpha) for (let i = 3; i < rgba.length; i += 4) rgba[i] = 255
  const channels = base === 3 ? (alpha ? 2 : 1) : alpha ? 4 : 3
  const bitDepth = depth === 15 || (depth === 16 && base !== 3) ? 5 : 8
  return { width, height, channels, bitDepth, alpha, rgba, rgbaWidth, rgbaHeight, colorMapped: base === 1, rle }
}

interface RowLayout {
  width: number
  height: number
  bpp: number
  rle: boolean
  topDown: boolean
  rightToLeft: boolean
  /** 24 or 32 for uncompressed-or-RLE true colour, which has an inlined fast path; 0 otherwise */
  trueColour: number
  alphaStored: boolean
  decodeOne: (bytes: Uint8Array, o: number, out: Uint8Array, d: number) => void
  bad: (why: string) => GasError
}

/**
 * Decodes the pixel data row by row, in file order (bottom-up unless topDown, each row right to
 * left when rightToLeft), handing each finished row to onRow as RGBA with its top-down row number.
 * The row buffer is reused. Returns the range of alpha values seen (when alpha is stored).
 */
async function decodeRows (src: ByteSource, l: RowLayout, onRow: (y: number, row: Uint8Array) => void, shrinker?: BoxShrinker): Promise<{ min: number, max: number }> {
  const { width, height, bpp, rle, trueColour, decodeOne } = l
  if (shrinker !== undefined && !rle && trueColour !== 0 && !l.rightToLeft) {
    // uncompressed BGR(A) rows go straight into the box sums (what onRow → addRow would add)
    const rowBytes = width * bpp
    for (let fileRow = 0; fileRow < height; fileRow++) {
      await src.need(rowBytes, 'TGA pixels')
      shrinker.addBgrRow(l.topDown ? fileRow : height - 1 - fileRow, src.bytes, src.pos, trueColour === 32 ? 4 : 3)
      src.pos += rowBytes
    }
    return l.alphaStored ? { min: shrinker.alphaMin, max: shrinker.alphaMax } : { min: 255, max: 0 }
  }
  const row = new Uint8Array(width * 4)
  const step = l.rightToLeft ? -4 : 4
  const first = l.rightToLeft ? (width - 1) * 4 : 0
  let min = 255; let max = 0
  let fileRow = 0
  const emit = (): void => {
    if (l.alphaStored) for (let i = 3; i < row.length; i += 4) { const a = row[i]; if (a < min) min = a; if (a > max) max = a }
    onRow(l.topDown ? fileRow : height - 1 - fileRow, row)
    fileRow++
  }
  if (!rle) {
    const rowBytes = width * bpp
    for (; fileRow < height;) {
      await src.need(rowBytes, 'TGA pixels')
      const b = src.bytes; let o = src.pos; let d = first
      // the common true-colour cases, inlined: BGR(A) to RGBA
      if (trueColour === 32) for (let i = 0; i < width; i++, o += 4, d += step) { row[d] = b[o + 2]; row[d + 1] = b[o + 1]; row[d + 2] = b[o]; row[d + 3] = b[o + 3] } else if (trueColour === 24) for (let i = 0; i < width; i++, o += 3, d += step) { row[d] = b[o + 2]; row[d + 1] = b[o + 1]; row[d + 2] = b[o]; row[d + 3] = 255 } else for (let i = 0; i < width; i++, o += bpp, d += step) decodeOne(b, o, row, d)
      src.pos = o
      emit()
    }
    return { min, max }
  }
  const px = new Uint8Array(4)
  let col = 0; let d = first
  const pixels = width * height; let n = 0
  while (n < pixels) {
    await src.need(1, 'TGA RLE packet')
    const head = src.bytes[src.pos++]
    const count = (head & 0x7f) + 1
    if (n + count > pixels) throw l.bad(`RLE packet runs ${n + count - pixels} pixels past the end of the image`)
    const run = (head & 0x80) !== 0
    await src.need(run ? bpp : bpp * count, 'TGA RLE packet')
    if (run) { decodeOne(src.bytes, src.pos, px, 0); src.pos += bpp }
    for (let i = 0; i < count; i++) {
      if (run) { row[d] = px[0]; row[d + 1] = px[1]; row[d + 2] = px[2]; row[d + 3] = px[3] } else { decodeOne(src.bytes, src.pos, row, d); src.pos += bpp }
      d += step
      if (++col === width) { emit(); col = 0; d = first }
    }
    n += count
  }
  return { min, max }
}

/**
 * Whether stored alpha means anything, as readers such as ImageMagick and Photoshop judge it: all
 * zero is "no alpha" (a 16-bit attribute bit nobody set, or zeros in an undeclared channel); all
 * opaque needs no channel; anything else is real alpha, declared or not.
 */
function usefulAlpha ({ min, max }: { min: number, max: number }, declared: boolean): boolean {
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
