import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { decodeBc6h, halfToFloat } from '../../src/preview/bc6h.js'
import { generatePreview } from '../../src/preview/index.js'
import { rgbaOf } from './helpers.js'

const REAL = join(import.meta.dirname, '..', 'fixtures', 'real')
/** SHA-256 of the reference decoder's RGB half floats for each file (see fixtures/real/README.md) */
const REFERENCE = {
  uf16: 'ef9fbd00597b85c0a85a7b8bf6d0f71c62f3c82b40380146c959b88199a88d19',
  sf16: '96e610d5495a9288733f7f9ab5554153f4439267cc9ad24ee73114a835fe79f6'
}

describe('BC6H textures (HDR half-float blocks)', () => {
  for (const variant of ['uf16', 'sf16'] as const) {
    it(`decodes ${variant} bit for bit as the reference decoder does`, () => {
      const file = readFileSync(join(REAL, `bc6h_${variant}.dds`))
      const half = decodeBc6h(file.subarray(148), 256, 256, variant === 'sf16')
      const bytes = Buffer.from(half.buffer, half.byteOffset, half.byteLength)
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(REFERENCE[variant])
    })
  }

  it('previews a real BC6H DDS, tone-mapped, and says what it is', async () => {
    const r = await generatePreview({ path: join(REAL, 'bc6h_uf16.dds'), kind: 'texture', format: 'dds' })
    expect(r.info).toMatchObject({ width: 256, height: 256, compression: 'bc6h-uf16', float: true, bitDepth: 16, channels: 3 })
    const { data } = await rgbaOf(r.image!)
    // a picture, not a flat or black square: the tone map spread the values over the 8-bit range
    let min = 255; let max = 0
    for (let i = 0; i < data.length; i += 4) { const v = data[i + 1]; min = Math.min(min, v); max = Math.max(max, v) }
    expect(max - min).toBeGreaterThan(100)
  })

  it('a block in a reserved mode is black, as the reference decoder makes it', () => {
    for (const mode of [0b10011, 0b10111, 0b11011, 0b11111]) {
      const block = new Uint8Array(16).fill(0xff); block[0] = mode
      expect([...decodeBc6h(block, 4, 4, false)].every((v) => v === 0)).toBe(true)
    }
  })

  it('reads half floats: zero, one, the largest finite value, infinity and a subnormal', () => {
    expect([0x0000, 0x3c00, 0x7bff, 0x7c00, 0x0001, 0xc000].map(halfToFloat)).toEqual([0, 1, 65504, Infinity, 2 ** -24, -2])
    expect(halfToFloat(0x7e00)).toBeNaN()
  })
})
