import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { generatePreview } from '../../src/preview/index.js'
import { decodeBc } from '../../src/preview/bc.js'
import { DEFAULT_THUMBNAIL_SIZE, IMAGE_BUDGET_BYTES, MAX_THUMBNAIL_SIZE } from '../../src/preview/limits.js'
import { makeDds, makeJpeg, makePng, makePsd, makeTga, makeTiff, makeWebp, texturePixels } from '../fixtures/textures.js'
import { gasError, psnr, referenceDownscale, rgbaOf, tempDir } from './helpers.js'

const { put } = tempDir()
const W = 1024; const H = 640

/**
 * Thumbnails are lossy WebP: decode ours and compare it (alpha included) with sharp's own downscale
 * of the raw source pixels to the same size. 35 dB holds for quality 85 with smart chroma
 * subsampling (36–38 dB on these fixtures); lossless is not needed to pass it.
 */
async function thumbPsnr (path: string, format: string, pixels: Uint8Array, channels: 3 | 4, w = W, h = H, size?: number): Promise<{ psnr: number, info: Record<string, unknown>, width: number, height: number }> {
  const res = await generatePreview({ path, kind: 'texture', format, size })
  expect(res.image).not.toBeNull()
  expect(res.image!.format).toBe('webp')
  expect(res.image!.bytes.length).toBeLessThanOrEqual(IMAGE_BUDGET_BYTES)
  const got = await rgbaOf(res.image!)
  expect(Math.max(got.width, got.height)).toBe(size ?? DEFAULT_THUMBNAIL_SIZE)
  expect(got.width / got.height).toBeCloseTo(w / h, 1)
  const ref = await referenceDownscale(pixels, w, h, channels, got.width, got.height)
  return { psnr: psnr(got.data, ref), info: res.info, width: got.width, height: got.height }
}

describe('texture previews', () => {
  it('PNG with alpha: info and a thumbnail within 35 dB of a reference downscale', async () => {
    const p = put('a.png', await makePng({ width: W, height: H, alpha: true, seed: 3 }))
    const r = await thumbPsnr(p, 'png', texturePixels({ width: W, height: H, alpha: true, seed: 3 }), 4)
    expect(r.info).toMatchObject({ width: W, height: H, channels: 4, bitDepth: 8, alpha: true })
    expect(r.psnr).toBeGreaterThanOrEqual(35)
  })

  it('at the largest size a caller may ask for, the thumbnail still reaches 35 dB', async () => {
    const p = put('big.png', await makePng({ width: W, height: H, alpha: true, seed: 4 }))
    const r = await thumbPsnr(p, 'png', texturePixels({ width: W, height: H, alpha: true, seed: 4 }), 4, W, H, MAX_THUMBNAIL_SIZE)
    expect(r.psnr).toBeGreaterThanOrEqual(35)
  })

  it('16-bit PNG is thumbnailed from its 8-bit sRGB rendering', async () => {
    const px = texturePixels({ width: W, height: H, alpha: true, seed: 6 })
    const png16 = await sharp(px, { raw: { width: W, height: H, channels: 4 } }).toColourspace('rgb16').png().toBuffer()
    const r = await thumbPsnr(put('deep.png', png16), 'png', px, 4)
    expect(r.info).toMatchObject({ bitDepth: 16, alpha: true })
    expect(r.psnr).toBeGreaterThanOrEqual(35)
  })

  it('tiny images keep their exact pixels (lossless WebP under 64²)', async () => {
    const px = texturePixels({ width: 40, height: 24, alpha: true, seed: 9 })
    const res = await generatePreview({ path: put('icon.png', await makePng({ width: 40, height: 24, alpha: true, seed: 9 })), kind: 'texture', format: 'png' })
    expect(res.image).toMatchObject({ format: 'webp', width: 40, height: 24 })
    expect((await rgbaOf(res.image!)).data).toEqual(Buffer.from(px))
  })

  it('JPEG, WebP and TIFF through sharp', async () => {
    const jpg = await generatePreview({ path: put('a.jpg', await makeJpeg({ width: 200, height: 120 })), kind: 'texture', format: 'jpeg' })
    expect(jpg.info).toMatchObject({ width: 200, height: 120, channels: 3, alpha: false })
    expect(jpg.image).toMatchObject({ format: 'webp', width: 200, height: 120 }) // never enlarged
    const webp = await generatePreview({ path: put('a.webp', await makeWebp({ width: 700, height: 700, alpha: true })), kind: 'texture', format: 'webp', size: 128 })
    expect(webp.info).toMatchObject({ width: 700, height: 700, alpha: true })
    expect(webp.image).toMatchObject({ width: 128, height: 128 })
    const tiff = await thumbPsnr(put('a.tiff', await makeTiff({ width: W, height: H })), 'tiff', texturePixels({ width: W, height: H }), 3)
    expect(tiff.info).toMatchObject({ width: W, height: H, channels: 3 })
    expect(tiff.psnr).toBeGreaterThanOrEqual(35)
  })

  for (const variant of [{ alpha: true, rle: false }, { alpha: false, rle: true }, { alpha: true, rle: true, topLeft: true }]) {
    it(`TGA ${JSON.stringify(variant)} matches the reference downscale`, async () => {
      const p = put(`t${Number(variant.alpha)}${Number(variant.rle)}.tga`, makeTga({ width: W, height: H, seed: 5, ...variant }))
      const r = await thumbPsnr(p, 'tga', texturePixels({ width: W, height: H, alpha: variant.alpha, seed: 5 }), variant.alpha ? 4 : 3)
      expect(r.info).toMatchObject({ width: W, height: H, channels: variant.alpha ? 4 : 3, bitDepth: 8, alpha: variant.alpha, rle: variant.rle })
      expect(r.psnr).toBeGreaterThanOrEqual(35)
    })
  }

  for (const format of ['rgba', 'bc1', 'bc2', 'bc3'] as const) {
    it(`DDS ${format} decodes to the pixels the blocks represent`, async () => {
      const dds = makeDds({ width: W, height: H, format })
      const p = put(`t-${format}.dds`, dds.bytes)
      const r = await thumbPsnr(p, 'dds', dds.pixels, 4)
      expect(r.info).toMatchObject({ width: W, height: H, mipCount: 1, alpha: format !== 'bc1', channels: format === 'bc1' ? 3 : 4 })
      expect(r.psnr).toBeGreaterThanOrEqual(35)
    })
  }

  it('DDS with mips reports the chain and previews from the smallest mip that covers the size', async () => {
    const dds = makeDds({ width: 1024, height: 1024, format: 'bc3', mips: true })
    const res = await generatePreview({ path: put('mips.dds', dds.bytes), kind: 'texture', format: 'dds', size: 256 })
    expect(res.info).toMatchObject({ width: 1024, height: 1024, mipCount: 11, previewMip: 2, compression: 'bc3' })
    expect(res.image).toMatchObject({ width: 256, height: 256 })
    // the mip-2 blocks sit after mips 0 and 1; decode them independently and compare
    const offset = 128 + (256 * 256 + 128 * 128) * 16
    const mip2 = decodeBc(dds.bytes.subarray(offset, offset + 64 * 64 * 16), 256, 256, 'bc3')
    const got = await rgbaOf(res.image!)
    // no resampling here, only the lossy WebP encode between the mip and the thumbnail (≈ 39 dB)
    expect(psnr(got.data, Buffer.from(mip2))).toBeGreaterThanOrEqual(35)
  })

  for (const variant of [{ depth: 8 as const, rle: true, alpha: true }, { depth: 16 as const, rle: false, alpha: false }]) {
    it(`PSD composite ${JSON.stringify(variant)}`, async () => {
      const p = put(`p${variant.depth}.psd`, makePsd({ width: W, height: H, seed: 2, ...variant }))
      const r = await thumbPsnr(p, 'psd', texturePixels({ width: W, height: H, alpha: variant.alpha, seed: 2 }), variant.alpha ? 4 : 3)
      expect(r.info).toMatchObject({ width: W, height: H, bitDepth: variant.depth, alpha: variant.alpha, colorMode: 'rgb' })
      expect(r.psnr).toBeGreaterThanOrEqual(35)
    })
  }

  it('a PNG header claiming 100000×100000 fails fast without decoding', async () => {
    const png = await makePng({ width: 16, height: 16 })
    png.writeUInt32BE(100000, 16); png.writeUInt32BE(100000, 20) // IHDR width/height (CRC now wrong too)
    const t0 = performance.now()
    const err = await gasError(generatePreview({ path: put('huge.png', png), kind: 'texture', format: 'png' }), 'E_MALFORMED_ASSET')
    expect(performance.now() - t0).toBeLessThan(1000)
    expect(err.message).toMatch(/huge\.png/)
  })

  it('lying TGA/DDS/PSD sizes fail before allocating', async () => {
    const tga = makeTga({ width: 8, height: 8 }); tga.writeUInt16LE(60000, 12); tga.writeUInt16LE(60000, 14)
    expect((await gasError(generatePreview({ path: put('big.tga', tga), kind: 'texture', format: 'tga' }), 'E_MALFORMED_ASSET')).message).toMatch(/limit/)
    const tga2 = makeTga({ width: 8, height: 8 }); tga2.writeUInt16LE(4000, 12)
    expect((await gasError(generatePreview({ path: put('short.tga', tga2), kind: 'texture', format: 'tga' }), 'E_MALFORMED_ASSET')).message).toMatch(/truncated/)
    const dds = makeDds({ width: 64, height: 64, format: 'bc1' }).bytes; dds.writeUInt32LE(4096, 12)
    expect((await gasError(generatePreview({ path: put('short.dds', dds), kind: 'texture', format: 'dds' }), 'E_MALFORMED_ASSET')).message).toMatch(/truncated/)
    const psd = makePsd({ width: 8, height: 8 }); psd.writeUInt32BE(8000, 14)
    expect((await gasError(generatePreview({ path: put('short.psd', psd), kind: 'texture', format: 'psd' }), 'E_MALFORMED_ASSET')).message).toMatch(/truncated/)
  })

  it('truncated and random files with a texture extension fail with E_MALFORMED_ASSET', async () => {
    const png = await makePng({ width: 256, height: 256 })
    await gasError(generatePreview({ path: put('cut.png', png.subarray(0, png.length / 2)), kind: 'texture', format: 'png' }), 'E_MALFORMED_ASSET')
    const noise = Buffer.alloc(4096); for (let i = 0; i < noise.length; i++) noise[i] = (i * 7919) % 251
    for (const f of ['png', 'jpeg', 'tga', 'dds', 'psd']) {
      await gasError(generatePreview({ path: put(`noise.${f}`, noise), kind: 'texture', format: f }), 'E_MALFORMED_ASSET')
    }
  })

  it('unsupported texture formats say so', async () => {
    const dds = makeDds({ width: 8, height: 8, format: 'bc1' }).bytes; dds.write('BC7X', 84, 'latin1')
    await gasError(generatePreview({ path: put('odd.dds', dds), kind: 'texture', format: 'dds' }), 'E_NO_PREVIEW')
    expect((await gasError(generatePreview({ path: put('x.jxl', 'x'), kind: 'texture', format: 'jxl' }), 'E_NO_PREVIEW')).message).toMatch(/jxl \(supported: .*exr, hdr, ktx2/)
    await gasError(generatePreview({ path: put('x.ktx2', 'x'), kind: 'texture', format: 'ktx2' }), 'E_MALFORMED_ASSET')
  })
})
