import { describe, expect, it } from 'vitest'
import sharp from 'sharp'
import { withSource } from '../../src/preview/byte-source.js'
import { generatePreview } from '../../src/preview/index.js'
import { decodeTga } from '../../src/preview/tga.js'
import { BoxShrinker, shrinkFactor } from '../../src/preview/box-shrink.js'
import { makeTga } from '../fixtures/textures.js'
import { psnr, rgbaOf, tempDir } from './helpers.js'

/**
 * Large TGAs are box-averaged while decoding (box-shrink.ts) instead of being decoded whole: the
 * thumbnail must match sharp's downscale of the fully decoded pixels, and the facts stay the file's.
 */
const { put } = tempDir()

/** Thumbnail of the asset against sharp's downscale of the full decode (ffmpeg-checked in tga-origin.test.ts). */
async function againstFullDecode (path: string): Promise<{ db: number, info: Record<string, unknown> }> {
  const res = await generatePreview({ path, kind: 'texture', format: 'tga' })
  const full = await withSource(path, decodeTga)
  expect([full.rgbaWidth, full.rgbaHeight]).toEqual([full.width, full.height])
  const got = await rgbaOf(res.image!)
  const ref = await sharp(full.rgba, { raw: { width: full.width, height: full.height, channels: 4 } })
    .resize(got.width, got.height, { fit: 'fill' }).raw().toBuffer()
  // compare colour only where the thumbnail is visible (lossy WebP may change colour under alpha 0)
  const a = Buffer.from(got.data); const b = Buffer.from(ref)
  for (let i = 0; i < a.length; i += 4) if (a[i + 3] === 0 && b[i + 3] < 8) { a[i] = b[i]; a[i + 1] = b[i + 1]; a[i + 2] = b[i + 2] }
  if (!full.alpha) for (let i = 3; i < a.length; i += 4) { a[i] = 255; b[i] = 255 }
  return { db: psnr(a, b), info: res.info }
}

describe('TGA shrink-on-decode', () => {
  for (const variant of [{ alpha: false, rle: false, topLeft: false }, { alpha: true, rle: false, topLeft: true }, { alpha: true, rle: true, topLeft: false }, { alpha: false, rle: true, topLeft: true }]) {
    it(`${JSON.stringify(variant)} 2000×1100: the thumbnail of a full decode, the facts of the file`, async () => {
      const path = put(`s${Number(variant.alpha)}${Number(variant.rle)}${Number(variant.topLeft)}.tga`, makeTga({ width: 2000, height: 1100, seed: 11, ...variant }))
      const { db, info } = await againstFullDecode(path)
      expect(info).toMatchObject({ width: 2000, height: 1100, alpha: variant.alpha, rle: variant.rle, channels: variant.alpha ? 4 : 3 })
      expect(db).toBeGreaterThanOrEqual(34)
    })
  }

  it('a 16-bit TGA whose alpha bit is 0 everywhere keeps its colours when shrunk (alpha read as absent)', async () => {
    const w = 1200; const h = 900
    const head = Buffer.alloc(18); head[2] = 2; head.writeUInt16LE(w, 12); head.writeUInt16LE(h, 14); head[16] = 16; head[17] = 1
    const body = Buffer.alloc(w * h * 2)
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) body.writeUInt16LE(((x * 31 / w) << 10) | ((y * 31 / h) << 5) | 16, (y * w + x) * 2)
    const path = put('a0.tga', Buffer.concat([head, body]))
    const { db, info } = await againstFullDecode(path)
    expect(info).toMatchObject({ width: w, height: h, alpha: false, channels: 3 })
    expect(db).toBeGreaterThanOrEqual(34)
    const img = await rgbaOf((await generatePreview({ path, kind: 'texture', format: 'tga' })).image!)
    // bottom-left origin: the last row shown is y = 0 (red 0), the right end has the most red
    expect(img.data[(img.width - 1) * 4]).toBeGreaterThan(200)
  })

  it('box averaging: factor, edge blocks and alpha weighting', () => {
    expect(shrinkFactor(4096, 100, 256)).toBe(8)
    expect(shrinkFactor(511, 511, 256)).toBe(1)
    const s = new BoxShrinker(3, 1, 2, true)
    // two pixels in one block: opaque red and transparent green average to red at half alpha; the edge block holds one pixel
    s.addRow(0, Uint8Array.from([255, 0, 0, 255, 0, 255, 0, 0, 10, 20, 30, 128]))
    expect([...s.result()]).toEqual([255, 0, 0, 128, 10, 20, 30, 128])
    const plain = new BoxShrinker(2, 2, 2, false)
    plain.addRow(0, Uint8Array.from([0, 0, 0, 0, 100, 100, 100, 0])); plain.addRow(1, Uint8Array.from([100, 100, 100, 0, 100, 100, 100, 0]))
    expect([...plain.result()]).toEqual([75, 75, 75, 0])
    // bottom-up rows (as most TGAs store them): the partial last block row comes first
    const up = new BoxShrinker(1, 3, 2, false)
    for (const [y, v] of [[2, 90], [1, 20], [0, 40]]) up.addRow(y, Uint8Array.from([v, v, v, 255]))
    expect([...up.result()]).toEqual([30, 30, 30, 255, 90, 90, 90, 255])
    const torn = new BoxShrinker(1, 4, 2, false)
    torn.addRow(0, Uint8Array.from([1, 1, 1, 1])); torn.addRow(2, Uint8Array.from([1, 1, 1, 1]))
    expect(() => torn.addRow(1, Uint8Array.from([1, 1, 1, 1]))).toThrow(/block row/)
  })
})
