/**
 * BC7 (BPTC UNORM) block decoder to RGBA8. Hand-written: no maintained npm package decodes BC7
 * on the CPU (the npm BC7 packages are encoders or GPU uploaders, three's loaders hand the blocks
 * to WebGL), and a preview only needs the one mip level it shows. Follows the D3D11 BC7 format
 * reference: 8 modes told by the lowest set bit, 1–3 subsets from the 64-entry partition tables,
 * endpoints with optional P-bits, 2/3/4-bit interpolation weights, and (modes 4–5) a separate
 * alpha index set and a channel rotation. A block with no mode bit decodes to transparent black,
 * as the reference decoder does.
 */

/** Subset of each texel (row-major, 16 digits) for every 2- and 3-subset partition: the spec's tables. */
const P2 = [
  '0011001100110011 0001000100010001 0111011101110111 0001001100110111 0000000100010011 0011011101111111 0001001101111111 0000000100110111',
  '0000000000010011 0011011111111111 0000000101111111 0000000000010111 0001011111111111 0000000011111111 0000111111111111 0000000000001111',
  '0000100011101111 0111000100000000 0000000010001110 0111001100010000 0011000100000000 0000100011001110 0000000010001100 0111001100110001',
  '0011000100010000 0000100010001100 0110011001100110 0011011001101100 0001011111101000 0000111111110000 0111000110001110 0011100110011100',
  '0101010101010101 0000111100001111 0101101001011010 0011001111001100 0011110000111100 0101010110101010 0110100101101001 0101101010100101',
  '0111001111001110 0001001111001000 0011001001001100 0011101111011100 0110100110010110 0011110011000011 0110011010011001 0000011001100000',
  '0100111001000000 0010011100100000 0000001001110010 0000010011100100 0110110010010011 0011011011001001 0110001110011100 0011100111000110',
  '0110110011001001 0110001100111001 0111111010000001 0001100011100111 0000111100110011 0011001111110000 0010001011101110 0100010001110111'
].join(' ').split(' ')
const P3 = [
  '0011001102212222 0001001122112221 0000200122112211 0222002200110111 0000000011221122 0011001100220022 0022002211111111 0011001122112211',
  '0000000011112222 0000111111112222 0000111122222222 0012001200120012 0112011201120112 0122012201220122 0011011211221222 0011200122002220',
  '0001001101121122 0111001120012200 0000112211221122 0022002200221111 0111011102220222 0001000122212221 0000001101220122 0000110022102210',
  '0122012200110000 0012001211222222 0110122112210110 0000011012211221 0022110211020022 0110011020022222 0011012201220011 0000200022112221',
  '0000000211221222 0222002200120011 0011001200220222 0120012001200120 0000111122220000 0120120120120120 0120201212010120 0011220011220011',
  '0011112222000011 0101010122222222 0000000021212121 0022112200221122 0022001100220011 0220122102201221 0101222222220101 0000212121212121',
  '0101010101012222 0222011102220111 0002111200021112 0000211221122112 0222011101110222 0002111211120002 0110011001102222 0000000021122112',
  '0110011022222222 0022001100110022 0022112211220022 0000000000002112 0002000100020001 0222122202221222 0101222222222222 0111201122012220'
].join(' ').split(' ')
const A2 = [15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 2, 8, 2, 2, 8, 8, 15, 2, 8, 2, 2, 8, 8, 2, 2, 15, 15, 6, 8, 2, 8, 15, 15, 2, 8, 2, 2, 2, 15, 15, 6, 6, 2, 6, 8, 15, 15, 2, 2, 15, 15, 15, 15, 15, 2, 2, 15]
const A3A = [3, 3, 15, 15, 8, 3, 15, 15, 8, 8, 6, 6, 6, 5, 3, 3, 3, 3, 8, 15, 3, 3, 6, 10, 5, 8, 8, 6, 8, 5, 15, 15, 8, 15, 3, 5, 6, 10, 8, 15, 15, 3, 15, 5, 15, 15, 15, 15, 3, 15, 5, 5, 5, 8, 5, 10, 5, 10, 8, 13, 15, 12, 3, 3]
const A3B = [15, 8, 8, 3, 15, 15, 3, 8, 15, 15, 15, 15, 15, 15, 15, 8, 15, 8, 15, 3, 15, 8, 15, 8, 3, 15, 6, 10, 15, 15, 10, 8, 15, 3, 15, 10, 10, 8, 9, 10, 6, 15, 8, 15, 3, 6, 6, 8, 15, 3, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 3, 15, 15, 8]

/** BC6H's two-subset modes use the first 32 of these partitions and anchors */
export { P2 as PARTITIONS_2, A2 as ANCHORS_2 }

const W2 = [0, 21, 43, 64]
const W3 = [0, 9, 18, 27, 37, 46, 55, 64]
const W4 = [0, 4, 9, 13, 17, 21, 26, 30, 34, 38, 43, 47, 51, 55, 60, 64]
const WEIGHTS: Record<number, number[]> = { 2: W2, 3: W3, 4: W4 }

interface Mode { subsets: number, partitionBits: number, rotationBits: number, selectorBits: number, colorBits: number, alphaBits: number, endpointPBits: boolean, sharedPBits: boolean, indexBits: number, index2Bits: number }
const MODES: Mode[] = [
  { subsets: 3, partitionBits: 4, rotationBits: 0, selectorBits: 0, colorBits: 4, alphaBits: 0, endpointPBits: true, sharedPBits: false, indexBits: 3, index2Bits: 0 },
  { subsets: 2, partitionBits: 6, rotationBits: 0, selectorBits: 0, colorBits: 6, alphaBits: 0, endpointPBits: false, sharedPBits: true, indexBits: 3, index2Bits: 0 },
  { subsets: 3, partitionBits: 6, rotationBits: 0, selectorBits: 0, colorBits: 5, alphaBits: 0, endpointPBits: false, sharedPBits: false, indexBits: 2, index2Bits: 0 },
  { subsets: 2, partitionBits: 6, rotationBits: 0, selectorBits: 0, colorBits: 7, alphaBits: 0, endpointPBits: true, sharedPBits: false, indexBits: 2, index2Bits: 0 },
  { subsets: 1, partitionBits: 0, rotationBits: 2, selectorBits: 1, colorBits: 5, alphaBits: 6, endpointPBits: false, sharedPBits: false, indexBits: 2, index2Bits: 3 },
  { subsets: 1, partitionBits: 0, rotationBits: 2, selectorBits: 0, colorBits: 7, alphaBits: 8, endpointPBits: false, sharedPBits: false, indexBits: 2, index2Bits: 2 },
  { subsets: 1, partitionBits: 0, rotationBits: 0, selectorBits: 0, colorBits: 7, alphaBits: 7, endpointPBits: true, sharedPBits: false, indexBits: 4, index2Bits: 0 },
  { subsets: 2, partitionBits: 6, rotationBits: 0, selectorBits: 0, colorBits: 5, alphaBits: 5, endpointPBits: true, sharedPBits: false, indexBits: 2, index2Bits: 0 }
]

/** LSB-first bit reader over one 16-byte block. */
class Bits {
  private pos = 0
  constructor (private readonly b: Uint8Array, private readonly o: number) {}
  read (n: number): number {
    let v = 0
    for (let i = 0; i < n; i++, this.pos++) v |= ((this.b[this.o + (this.pos >> 3)] >> (this.pos & 7)) & 1) << i
    return v
  }
}

/** Expands an n-bit value to 8 bits by replicating its high bits. */
function expand (v: number, n: number): number { return n >= 8 ? v : (v << (8 - n)) | (v >> (2 * n - 8 < 0 ? 0 : 2 * n - 8)) }

const endpoints = new Int32Array(6 * 4)
const texel = new Uint8Array(4)

/** Decodes one BC7 block at src[o..o+16) into out (RGBA8, width w), tile origin (bx, by), clipped to w×h. */
export function decodeBc7Block (src: Uint8Array, o: number, out: Uint8Array, w: number, h: number, bx: number, by: number): void {
  let m = 0
  while (m < 8 && ((src[o + (m >> 3)] >> (m & 7)) & 1) === 0) m++
  if (m === 8) {
    for (let i = 0; i < 16; i++) { const x = bx + (i & 3); const y = by + (i >> 2); if (x < w && y < h) out.fill(0, (y * w + x) * 4, (y * w + x) * 4 + 4) }
    return
  }
  const mode = MODES[m]
  const bits = new Bits(src, o)
  bits.read(m + 1)
  const partition = bits.read(mode.partitionBits)
  const rotation = bits.read(mode.rotationBits)
  const selector = bits.read(mode.selectorBits)
  const count = mode.subsets * 2
  for (let c = 0; c < 3; c++) for (let e = 0; e < count; e++) endpoints[e * 4 + c] = bits.read(mode.colorBits)
  for (let e = 0; e < count; e++) endpoints[e * 4 + 3] = mode.alphaBits > 0 ? bits.read(mode.alphaBits) : 255
  let colorPrec = mode.colorBits; let alphaPrec = mode.alphaBits
  if (mode.endpointPBits || mode.sharedPBits) {
    const p: number[] = []
    if (mode.endpointPBits) for (let e = 0; e < count; e++) p.push(bits.read(1))
    else { const p0 = bits.read(1); const p1 = bits.read(1); p.push(p0, p0, p1, p1) }
    for (let e = 0; e < count; e++) {
      for (let c = 0; c < 3; c++) endpoints[e * 4 + c] = (endpoints[e * 4 + c] << 1) | p[e]
      if (mode.alphaBits > 0) endpoints[e * 4 + 3] = (endpoints[e * 4 + 3] << 1) | p[e]
    }
    colorPrec++
    if (mode.alphaBits > 0) alphaPrec++
  }
  for (let e = 0; e < count; e++) {
    for (let c = 0; c < 3; c++) endpoints[e * 4 + c] = expand(endpoints[e * 4 + c], colorPrec)
    if (mode.alphaBits > 0) endpoints[e * 4 + 3] = expand(endpoints[e * 4 + 3], alphaPrec)
  }
  const table = mode.subsets === 2 ? P2[partition] : mode.subsets === 3 ? P3[partition] : null
  const anchor1 = mode.subsets === 2 ? A2[partition] : mode.subsets === 3 ? A3A[partition] : -1
  const anchor2 = mode.subsets === 3 ? A3B[partition] : -1
  const index = new Uint8Array(16)
  const index2 = new Uint8Array(16)
  for (let i = 0; i < 16; i++) index[i] = bits.read(mode.indexBits - (i === 0 || i === anchor1 || i === anchor2 ? 1 : 0))
  if (mode.index2Bits > 0) for (let i = 0; i < 16; i++) index2[i] = bits.read(mode.index2Bits - (i === 0 ? 1 : 0))
  // mode 4's selector swaps which index set drives colour and which alpha
  const colorIdx = selector === 1 ? index2 : index
  const alphaIdx = mode.index2Bits > 0 ? (selector === 1 ? index : index2) : index
  const colorW = WEIGHTS[selector === 1 ? mode.index2Bits : mode.indexBits]
  const alphaW = WEIGHTS[mode.index2Bits > 0 ? (selector === 1 ? mode.indexBits : mode.index2Bits) : mode.indexBits]
  for (let i = 0; i < 16; i++) {
    const x = bx + (i & 3); const y = by + (i >> 2)
    if (x >= w || y >= h) continue
    const s = table === null ? 0 : table.charCodeAt(i) - 48
    const e0 = s * 8; const e1 = s * 8 + 4
    const cw = colorW[colorIdx[i]]; const aw = alphaW[alphaIdx[i]]
    for (let c = 0; c < 3; c++) texel[c] = ((64 - cw) * endpoints[e0 + c] + cw * endpoints[e1 + c] + 32) >> 6
    texel[3] = ((64 - aw) * endpoints[e0 + 3] + aw * endpoints[e1 + 3] + 32) >> 6
    if (rotation > 0) { const t = texel[3]; texel[3] = texel[rotation - 1]; texel[rotation - 1] = t }
    out.set(texel, (y * w + x) * 4)
  }
}
