/**
 * BC6H (BPTC float, unsigned UF16 and signed SF16) block decoder to half-float RGB. Hand-written
 * for the reason bc7.ts gives: no maintained npm package decodes BPTC on the CPU. Follows the
 * D3D11 BC6H format reference (the Khronos Data Format specification, "BPTC"): 14 modes told by
 * 2 or 5 mode bits, endpoints scattered through the block as each mode's layout says, deltas from
 * the first endpoint in "transformed" modes, 1 or 2 subsets (the first 32 BC7 partitions), 3- or
 * 4-bit weights, then unquantisation to half floats. Reserved modes decode to black, as the
 * reference decoder does.
 */
import { PARTITIONS_2, ANCHORS_2 } from './bc7.js'

interface Mode {
  /** endpoints after the first are deltas from it */
  transformed: boolean
  /** two subsets (a partition number follows the endpoints) */
  twoSubsets: boolean
  /** bits of the first endpoint, then of the others per channel */
  bits: number
  delta: [number, number, number]
  /** where each field's bits are, in the order they are stored (see `fields`) */
  layout: Array<{ field: number, bit: number }>
}

/**
 * Endpoint fields as the specification names them: w is the first endpoint of subset 0, x its
 * second, y and z those of subset 1; r/g/b the channel. Index = 4 × endpoint + channel.
 */
const FIELD: Record<string, number> = { rw: 0, gw: 1, bw: 2, rx: 4, gx: 5, bx: 6, ry: 8, gy: 9, by: 10, rz: 12, gz: 13, bz: 14 }

/**
 * `name hi:lo` stores bits lo..hi, lowest first; `name lo:hi` (lo < hi) stores them highest
 * first, as the 12- and 16-bit modes do for the top bits of the first endpoint.
 */
function layoutOf (spec: string): Mode['layout'] {
  const layout: Mode['layout'] = []
  for (const part of spec.split(' ')) {
    const [, name, a, b] = /^([rgb][wxyz])(\d+)(?::(\d+))?$/.exec(part) ?? []
    const from = Number(a); const to = b === undefined ? from : Number(b)
    const step = from >= to ? 1 : -1
    for (let bit = to; ; bit += step) {
      layout.push({ field: FIELD[name], bit })
      if (bit === from) break
    }
  }
  return layout
}

function mode (transformed: boolean, twoSubsets: boolean, bits: number, delta: [number, number, number], spec: string): Mode {
  return { transformed, twoSubsets, bits, delta, layout: layoutOf(spec) }
}

/** Modes 1–14 of the specification, in its order (the table after it maps mode bits to them). */
const MODES: Mode[] = [
  mode(true, true, 10, [5, 5, 5], 'gy4 by4 bz4 rw9:0 gw9:0 bw9:0 rx4:0 gz4 gy3:0 gx4:0 bz0 gz3:0 bx4:0 bz1 by3:0 ry4:0 bz2 rz4:0 bz3'),
  mode(true, true, 7, [6, 6, 6], 'gy5 gz4 gz5 rw6:0 bz0 bz1 by4 gw6:0 by5 bz2 gy4 bw6:0 bz3 bz5 bz4 rx5:0 gy3:0 gx5:0 gz3:0 bx5:0 by3:0 ry5:0 rz5:0'),
  mode(true, true, 11, [5, 4, 4], 'rw9:0 gw9:0 bw9:0 rx4:0 rw10 gy3:0 gx3:0 gw10 bz0 gz3:0 bx3:0 bw10 bz1 by3:0 ry4:0 bz2 rz4:0 bz3'),
  mode(true, true, 11, [4, 5, 4], 'rw9:0 gw9:0 bw9:0 rx3:0 rw10 gz4 gy3:0 gx4:0 gw10 gz3:0 bx3:0 bw10 bz1 by3:0 ry3:0 bz0 bz2 rz3:0 gy4 bz3'),
  mode(true, true, 11, [4, 4, 5], 'rw9:0 gw9:0 bw9:0 rx3:0 rw10 by4 gy3:0 gx3:0 gw10 bz0 gz3:0 bx4:0 bw10 by3:0 ry3:0 bz1 bz2 rz3:0 bz4 bz3'),
  mode(true, true, 9, [5, 5, 5], 'rw8:0 by4 gw8:0 gy4 bw8:0 bz4 rx4:0 gz4 gy3:0 gx4:0 bz0 gz3:0 bx4:0 bz1 by3:0 ry4:0 bz2 rz4:0 bz3'),
  mode(true, true, 8, [6, 5, 5], 'rw7:0 gz4 by4 gw7:0 bz2 gy4 bw7:0 bz3 bz4 rx5:0 gy3:0 gx4:0 bz0 gz3:0 bx4:0 bz1 by3:0 ry5:0 rz5:0'),
  mode(true, true, 8, [5, 6, 5], 'rw7:0 bz0 by4 gw7:0 gy5 gy4 bw7:0 gz5 bz4 rx4:0 gz4 gy3:0 gx5:0 gz3:0 bx4:0 bz1 by3:0 ry4:0 bz2 rz4:0 bz3'),
  mode(true, true, 8, [5, 5, 6], 'rw7:0 bz1 by4 gw7:0 by5 gy4 bw7:0 bz5 bz4 rx4:0 gz4 gy3:0 gx4:0 bz0 gz3:0 bx5:0 by3:0 ry4:0 bz2 rz4:0 bz3'),
  mode(false, true, 6, [6, 6, 6], 'rw5:0 gz4 bz0 bz1 by4 gw5:0 gy5 by5 bz2 gy4 bw5:0 gz5 bz3 bz5 bz4 rx5:0 gy3:0 gx5:0 gz3:0 bx5:0 by3:0 ry5:0 rz5:0'),
  mode(false, false, 10, [10, 10, 10], 'rw9:0 gw9:0 bw9:0 rx9:0 gx9:0 bx9:0'),
  mode(true, false, 11, [9, 9, 9], 'rw9:0 gw9:0 bw9:0 rx8:0 rw10 gx8:0 gw10 bx8:0 bw10'),
  mode(true, false, 12, [8, 8, 8], 'rw9:0 gw9:0 bw9:0 rx7:0 rw10:11 gx7:0 gw10:11 bx7:0 bw10:11'),
  mode(true, false, 16, [4, 4, 4], 'rw9:0 gw9:0 bw9:0 rx3:0 rw10:15 gx3:0 gw10:15 bx3:0 bw10:15')
]
/** The 5-bit mode values of modes 3–14 (modes 1 and 2 are the 2-bit values 00 and 01); the rest are reserved. */
const FIVE_BIT_MODES = new Map([0b00010, 0b00110, 0b01010, 0b01110, 0b10010, 0b10110, 0b11010, 0b11110, 0b00011, 0b00111, 0b01011, 0b01111].map((v, i) => [v, i + 2]))

const WEIGHTS_3 = [0, 9, 18, 27, 37, 46, 55, 64]
const WEIGHTS_4 = [0, 4, 9, 13, 17, 21, 26, 30, 34, 38, 43, 47, 51, 55, 60, 64]

/** Reads a 128-bit block lowest bit first. */
class BlockBits {
  #src: Uint8Array
  #at: number
  #pos = 0
  constructor (src: Uint8Array, at: number) { this.#src = src; this.#at = at }
  take (n: number): number {
    let v = 0
    for (let i = 0; i < n; i++, this.#pos++) v |= ((this.#src[this.#at + (this.#pos >> 3)] >> (this.#pos & 7)) & 1) << i
    return v
  }
}

const signExtend = (v: number, bits: number): number => (v << (32 - bits)) >> (32 - bits)

function unquantize (v: number, bits: number, signed: boolean): number {
  if (!signed) {
    if (bits >= 15 || v === 0) return v
    if (v === (1 << bits) - 1) return 0xffff
    return ((v << 15) + 0x4000) >> (bits - 1)
  }
  if (bits >= 16 || v === 0) return v
  const negative = v < 0
  const m = Math.abs(v)
  const u = m >= (1 << (bits - 1)) - 1 ? 0x7fff : ((m << 15) + 0x4000) >> (bits - 1)
  return negative ? -u : u
}

/** The interpolated 16-bit value as half-float bits (the "final unquantize" step). */
function toHalf (v: number, signed: boolean): number {
  if (!signed) return (v * 31) >> 6
  return v < 0 ? (((-v) * 31) >> 5) | 0x8000 : (v * 31) >> 5
}

const endpoints = new Int32Array(16)

/**
 * Decodes the block at `o` into `out` (3 half-float bit patterns a texel, row-major, w×h),
 * placing its 4×4 texels at (bx, by) and skipping those outside the image.
 */
export function decodeBc6hBlock (src: Uint8Array, o: number, out: Uint16Array, w: number, h: number, bx: number, by: number, signed: boolean): void {
  const bits = new BlockBits(src, o)
  const low = bits.take(2)
  const index = low < 2 ? low : FIVE_BIT_MODES.get(low | (bits.take(3) << 2))
  if (index === undefined) {
    forEachTexel(w, h, bx, by, (p) => { out[p] = 0; out[p + 1] = 0; out[p + 2] = 0 })
    return
  }
  const m = MODES[index]
  endpoints.fill(0)
  for (const { field, bit } of m.layout) endpoints[field] |= bits.take(1) << bit
  const subsets = m.twoSubsets ? 2 : 1
  const partition = m.twoSubsets ? bits.take(5) : 0
  const count = subsets * 8
  if (signed) for (let c = 0; c < 3; c++) endpoints[c] = signExtend(endpoints[c], m.bits)
  if (m.transformed || signed) {
    for (let e = 4; e < count; e += 4) for (let c = 0; c < 3; c++) endpoints[e + c] = signExtend(endpoints[e + c], m.delta[c])
  }
  if (m.transformed) {
    const mask = (1 << m.bits) - 1
    for (let e = 4; e < count; e += 4) {
      for (let c = 0; c < 3; c++) {
        const v = (endpoints[e + c] + endpoints[c]) & mask
        endpoints[e + c] = signed ? signExtend(v, m.bits) : v
      }
    }
  }
  for (let e = 0; e < count; e += 4) for (let c = 0; c < 3; c++) endpoints[e + c] = unquantize(endpoints[e + c], m.bits, signed)

  const indexBits = m.twoSubsets ? 3 : 4
  const weights = m.twoSubsets ? WEIGHTS_3 : WEIGHTS_4
  const subsetOf = m.twoSubsets ? PARTITIONS_2[partition] : null
  const anchor = m.twoSubsets ? ANCHORS_2[partition] : -1
  for (let i = 0; i < 16; i++) {
    // the first texel of each subset (its anchor) stores one index bit less: its top bit is 0
    const weight = weights[bits.take(i === 0 || i === anchor ? indexBits - 1 : indexBits)]
    const x = bx + (i & 3); const y = by + (i >> 2)
    if (x >= w || y >= h) continue
    const e = subsetOf === null ? 0 : (subsetOf.charCodeAt(i) - 48) * 8
    const p = (y * w + x) * 3
    for (let c = 0; c < 3; c++) {
      const v = ((64 - weight) * endpoints[e + c] + weight * endpoints[e + 4 + c] + 32) >> 6
      out[p + c] = toHalf(v, signed)
    }
  }
}

function forEachTexel (w: number, h: number, bx: number, by: number, f: (p: number) => void): void {
  for (let i = 0; i < 16; i++) {
    const x = bx + (i & 3); const y = by + (i >> 2)
    if (x < w && y < h) f((y * w + x) * 3)
  }
}

/** A whole BC6H level (blocks row-major) as half-float RGB bit patterns, w×h×3. */
export function decodeBc6h (src: Uint8Array, w: number, h: number, signed: boolean): Uint16Array {
  const out = new Uint16Array(w * h * 3)
  const bw = Math.max(1, Math.ceil(w / 4)); const bh = Math.max(1, Math.ceil(h / 4))
  for (let byi = 0; byi < bh; byi++) {
    for (let bxi = 0; bxi < bw; bxi++) decodeBc6hBlock(src, (byi * bw + bxi) * 16, out, w, h, bxi * 4, byi * 4, signed)
  }
  return out
}

/** IEEE 754 half-float bits to a number. */
export function halfToFloat (h: number): number {
  const exponent = (h >> 10) & 0x1f
  const fraction = h & 0x3ff
  const sign = (h & 0x8000) !== 0 ? -1 : 1
  if (exponent === 0) return sign * fraction * 2 ** -24
  if (exponent === 31) return fraction === 0 ? sign * Infinity : NaN
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15)
}
