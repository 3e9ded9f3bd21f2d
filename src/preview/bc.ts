import { decodeBc6h, halfToFloat } from './bc6h.js'
import { decodeBc7Block } from './bc7.js'
import { toneMapRgb } from './tone-map.js'

/**
 * Block-compression (BC1–BC5, a.k.a. DXT1/3/5, ATI1/2) decoders to RGBA8. No maintained npm
 * package decodes these in Node without a GPU or native build (three's DDSLoader only hands the
 * blocks to WebGL), and the formats are a few dozen lines each, so we carry our own.
 */

export type BcFormat = 'bc1' | 'bc2' | 'bc3' | 'bc4' | 'bc5' | 'bc4s' | 'bc5s' | 'bc6h' | 'bc6hs' | 'bc7'
export const BC_BLOCK_BYTES: Record<BcFormat, number> = { bc1: 8, bc2: 16, bc3: 16, bc4: 8, bc5: 16, bc4s: 8, bc5s: 16, bc6h: 16, bc6hs: 16, bc7: 16 }
/** BC6H holds half floats: tone-mapped over the whole level, not block by block */
export const isHdrBc = (format: BcFormat): boolean => format === 'bc6h' || format === 'bc6hs'

const color = new Uint8Array(16) // 4 palette entries × RGBA
const alpha = new Uint8Array(8)

function unpack565 (c: number, out: Uint8Array, o: number): void {
  const r = (c >> 11) & 31; const g = (c >> 5) & 63; const b = c & 31
  out[o] = (r << 3) | (r >> 2); out[o + 1] = (g << 2) | (g >> 4); out[o + 2] = (b << 3) | (b >> 2); out[o + 3] = 255
}

/** BC1 colour block; `forceOpaque` for BC2/BC3, whose colour half always uses four-colour mode. */
function colorBlock (src: Uint8Array, o: number, forceOpaque: boolean): void {
  const c0 = src[o] | (src[o + 1] << 8); const c1 = src[o + 2] | (src[o + 3] << 8)
  unpack565(c0, color, 0); unpack565(c1, color, 4)
  if (c0 > c1 || forceOpaque) {
    for (let k = 0; k < 3; k++) {
      color[8 + k] = Math.floor((2 * color[k] + color[4 + k]) / 3)
      color[12 + k] = Math.floor((color[k] + 2 * color[4 + k]) / 3)
    }
    color[11] = 255; color[15] = 255
  } else {
    // three-colour mode: index 3 is transparent black (punch-through alpha)
    for (let k = 0; k < 3; k++) color[8 + k] = (color[k] + color[4 + k]) >> 1
    color[11] = 255; color[12] = 0; color[13] = 0; color[14] = 0; color[15] = 0
  }
}

/** BC3/BC4 interpolated 8-value (or 6-value + 0/255) channel block into alpha[] palette. */
function channelPalette (a0: number, a1: number): void {
  alpha[0] = a0; alpha[1] = a1
  if (a0 > a1) for (let k = 1; k < 7; k++) alpha[k + 1] = Math.floor(((7 - k) * a0 + k * a1) / 7)
  else {
    for (let k = 1; k < 5; k++) alpha[k + 1] = Math.floor(((5 - k) * a0 + k * a1) / 5)
    alpha[6] = 0; alpha[7] = 255
  }
}

/**
 * Signed (SNORM) BC4/BC5 channel: endpoints are int8 (-128 reads as -127), interpolated the same
 * way in -127..127, then shown as unsigned (v + 127) · 255 / 254, so 0 (a flat normal) is mid-grey.
 */
function signedPalette (b0: number, b1: number): void {
  const a0 = Math.max(-127, (b0 << 24) >> 24); const a1 = Math.max(-127, (b1 << 24) >> 24)
  const v = [a0, a1]
  if (a0 > a1) for (let k = 1; k < 7; k++) v.push(((7 - k) * a0 + k * a1) / 7)
  else { for (let k = 1; k < 5; k++) v.push(((5 - k) * a0 + k * a1) / 5); v.push(-127, 127) }
  for (let k = 0; k < 8; k++) alpha[k] = Math.round((v[k] + 127) * 255 / 254)
}

/** Writes one channel from a BC3-alpha/BC4 block at src[o..o+8) into channel ch of the 4×4 tile. */
function channelBlock (src: Uint8Array, o: number, out: Uint8Array, w: number, h: number, bx: number, by: number, ch: number, signed = false): void {
  if (signed) signedPalette(src[o], src[o + 1])
  else channelPalette(src[o], src[o + 1])
  // 48 bits of 3-bit indices; split in two 24-bit halves to stay in 32-bit integer maths
  const lo = src[o + 2] | (src[o + 3] << 8) | (src[o + 4] << 16)
  const hi = src[o + 5] | (src[o + 6] << 8) | (src[o + 7] << 16)
  for (let i = 0; i < 16; i++) {
    const x = bx + (i & 3); const y = by + (i >> 2)
    if (x >= w || y >= h) continue
    const idx = i < 8 ? (lo >> (3 * i)) & 7 : (hi >> (3 * (i - 8))) & 7
    out[(y * w + x) * 4 + ch] = alpha[idx]
  }
}

/** Decodes a whole BCn level (blocks row-major) into RGBA8 of size w×h. */
export function decodeBc (src: Uint8Array, w: number, h: number, format: BcFormat): Uint8Array {
  if (isHdrBc(format)) {
    const half = decodeBc6h(src, w, h, format === 'bc6hs')
    const rgb = new Float32Array(half.length)
    for (let i = 0; i < half.length; i++) rgb[i] = halfToFloat(half[i])
    return toneMapRgb(rgb, w * h).rgba
  }
  const out = new Uint8Array(w * h * 4)
  const bw = Math.max(1, Math.ceil(w / 4)); const bh = Math.max(1, Math.ceil(h / 4))
  const blockBytes = BC_BLOCK_BYTES[format]
  for (let byi = 0; byi < bh; byi++) {
    for (let bxi = 0; bxi < bw; bxi++) {
      const o = (byi * bw + bxi) * blockBytes
      const bx = bxi * 4; const by = byi * 4
      if (format === 'bc7') { decodeBc7Block(src, o, out, w, h, bx, by); continue }
      if (format === 'bc4' || format === 'bc5' || format === 'bc4s' || format === 'bc5s') {
        const signed = format === 'bc4s' || format === 'bc5s'
        const one = format === 'bc4' || format === 'bc4s'
        channelBlock(src, o, out, w, h, bx, by, 0, signed)
        if (!one) channelBlock(src, o + 8, out, w, h, bx, by, 1, signed)
        // BC4 is a single channel shown as grey; BC5 (normal maps) as RG with B=0
        for (let i = 0; i < 16; i++) {
          const x = bx + (i & 3); const y = by + (i >> 2)
          if (x >= w || y >= h) continue
          const p = (y * w + x) * 4
          if (one) { out[p + 1] = out[p]; out[p + 2] = out[p] } else out[p + 2] = 0
          out[p + 3] = 255
        }
        continue
      }
      const co = format === 'bc1' ? o : o + 8
      colorBlock(src, co, format !== 'bc1')
      const bits = (src[co + 4] | (src[co + 5] << 8) | (src[co + 6] << 16) | (src[co + 7] << 24)) >>> 0
      for (let i = 0; i < 16; i++) {
        const x = bx + (i & 3); const y = by + (i >> 2)
        if (x >= w || y >= h) continue
        const idx = (bits >>> (2 * i)) & 3
        const p = (y * w + x) * 4
        out[p] = color[idx * 4]; out[p + 1] = color[idx * 4 + 1]; out[p + 2] = color[idx * 4 + 2]; out[p + 3] = color[idx * 4 + 3]
      }
      if (format === 'bc2') {
        for (let i = 0; i < 16; i++) {
          const x = bx + (i & 3); const y = by + (i >> 2)
          if (x >= w || y >= h) continue
          const nib = (src[o + (i >> 1)] >> ((i & 1) * 4)) & 15
          out[(y * w + x) * 4 + 3] = nib * 17
        }
      } else if (format === 'bc3') channelBlock(src, o, out, w, h, bx, by, 3)
    }
  }
  return out
}
