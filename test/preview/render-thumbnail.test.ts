import { describe, expect, it } from 'vitest'
import sharp from 'sharp'
import { generatePreview } from '../../src/preview/index.js'
import { withSource } from '../../src/preview/byte-source.js'
import { parseObj } from '../../src/preview/obj.js'
import { rasterize } from '../../src/preview/rasterize.js'
import { THUMBNAIL_WEBP } from '../../src/preview/limits.js'
import { makeObj } from '../fixtures/models.js'
import { rgbaOf, tempDir } from './helpers.js'

/**
 * A model render is drawn at twice the thumbnail size and resolved by a 2×2 alpha-weighted box
 * (thumbnail.ts thumbnailFromRender), encoded without sharp YUV (RENDER_WEBP): the thumbnail must
 * stay what libvips' Lanczos downscale of the same render, encoded as texture thumbnails are,
 * shows. Colour is compared premultiplied, since under alpha 0 it is meaningless.
 */
const { put } = tempDir()

function premultipliedPsnr (a: Uint8Array, b: Uint8Array): number {
  expect(a.length).toBe(b.length)
  let se = 0
  for (let i = 0; i < a.length; i += 4) {
    for (let k = 0; k < 3; k++) { const d = (a[i + k] * a[i + 3] - b[i + k] * b[i + 3]) / 255; se += d * d }
    se += (a[i + 3] - b[i + 3]) ** 2
  }
  const mse = se / a.length
  return mse === 0 ? Infinity : 10 * Math.log10(255 * 255 / mse)
}

describe('model render thumbnails', () => {
  for (const shape of ['cube', 'sphere', { grid: 40 }] as const) {
    it(`${JSON.stringify(shape)}: the box-resolved render matches a Lanczos downscale of it`, async () => {
      const path = put(`m${JSON.stringify(shape).replace(/\W/g, '')}.obj`, makeObj(shape).text)
      const res = await generatePreview({ path, kind: 'model', format: 'obj' })
      expect(res.image).toMatchObject({ format: 'webp', width: 256, height: 256 })
      const parsed = await withSource(path, parseObj)
      const render = rasterize(parsed.meshes, parsed.info.bounds!, 512)
      const lanczos = await sharp(render, { raw: { width: 512, height: 512, channels: 4 } }).resize(256, 256).webp({ ...THUMBNAIL_WEBP }).toBuffer()
      const got = await rgbaOf(res.image!)
      const ref = await rgbaOf(lanczos)
      expect(premultipliedPsnr(got.data, ref.data)).toBeGreaterThan(38)
      expect(res.image!.bytes.length).toBeLessThanOrEqual(16 * 1024)
    })
  }
})
