import { spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { generatePreview } from '../../src/preview/index.js'
import { psnr, rgbaOf, tempDir } from './helpers.js'
import { magick } from './reference.js'

/**
 * Block-compressed KTX2 (what toktx / KTX-Software write for desktop targets): BC7 blocks from
 * bc7enc, wrapped with ktx-parse, against the pixels bc7enc unpacks itself; BC6H blocks of a
 * real file (test/fixtures/real) through KTX2 the same as through DDS.
 */
const { dir } = tempDir()
const at = (name: string): string => join(dir, name)
const require = createRequire(import.meta.url)
const BC7ENC = join(dirname(require.resolve('@gpu-tex-enc/bc/package.json')), 'bin', 'linux', 'bc7enc')

async function ktx2 (vkFormat: number, width: number, height: number, blocks: Uint8Array): Promise<Buffer> {
  const { createDefaultContainer, write } = await import('ktx-parse')
  const c = createDefaultContainer()
  c.vkFormat = vkFormat; c.pixelWidth = width; c.pixelHeight = height; c.typeSize = 1
  c.levels = [{ levelData: blocks, uncompressedByteLength: blocks.length }]
  return Buffer.from(write(c))
}

describe('block-compressed KTX2', () => {
  it('BC7 (vkFormat 145) previews as bc7enc\'s own DDS does (decoded bit-exact in real-texture.test.ts), near bc7enc\'s unpacked pixels', async () => {
    magick('-size', '64x48', 'plasma:fractal', '-seed', '5', at('src.png'))
    const r = spawnSync(BC7ENC, ['-q', at('src.png'), at('bc7.dds'), at('bc7.png')], { encoding: 'utf8' })
    expect(r.status, `bc7enc: ${r.stderr ?? ''}${String(r.error ?? '')}`).toBe(0)
    const dds = readFileSync(at('bc7.dds'))
    const headerBytes = dds.toString('latin1', 84, 88) === 'DX10' ? 148 : 128
    writeFileSync(at('bc7.ktx2'), await ktx2(145, 64, 48, dds.subarray(headerBytes, headerBytes + 16 * 16 * 12)))
    const res = await generatePreview({ path: at('bc7.ktx2'), kind: 'texture', format: 'ktx2', size: 64 })
    expect(res.info).toMatchObject({ width: 64, height: 48, compression: 'bc7', alpha: false })
    const img = await rgbaOf(res.image!)
    const viaDds = await rgbaOf((await generatePreview({ path: at('bc7.dds'), kind: 'texture', format: 'dds', size: 64 })).image!)
    expect(psnr(img.data, viaDds.data)).toBe(Infinity)
    // the thumbnail is lossy WebP: close to, not equal to, bc7enc's unpacked image
    const ref = await sharp(at('bc7.png')).resize(img.width, img.height, { fit: 'fill' }).ensureAlpha().raw().toBuffer()
    expect(psnr(img.data, ref)).toBeGreaterThan(28)
  })

  it('BC6H signed (vkFormat 144) previews as the same file in a DDS does', async () => {
    const dds = readFileSync(join(import.meta.dirname, '..', 'fixtures', 'real', 'bc6h_sf16.dds'))
    writeFileSync(at('bc6h.dds'), dds)
    writeFileSync(at('bc6h.ktx2'), await ktx2(144, 256, 256, dds.subarray(148, 148 + 64 * 64 * 16)))
    const viaKtx2 = await generatePreview({ path: at('bc6h.ktx2'), kind: 'texture', format: 'ktx2', size: 64 })
    const viaDds = await generatePreview({ path: at('bc6h.dds'), kind: 'texture', format: 'dds', size: 64 })
    expect(viaKtx2.info).toMatchObject({ width: 256, height: 256, compression: 'bc6hs' })
    const a = await rgbaOf(viaKtx2.image!); const b = await rgbaOf(viaDds.image!)
    expect([a.width, a.height]).toEqual([b.width, b.height])
    expect(psnr(a.data, b.data)).toBeGreaterThan(30)
  })
})
