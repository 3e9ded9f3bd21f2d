import { spawnSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import sharp from 'sharp'
import { palettePng } from '../../src/preview/palette-png.js'
import { tempDir } from './helpers.js'

/** The waveform's hand-written palette PNG, read back by libvips (sharp) and checked by ImageMagick. */
const { put } = tempDir()
const PALETTE = [[24, 26, 32], [70, 80, 96], [110, 200, 255], [255, 0, 128]]

describe('palette PNG', () => {
  for (const [width, height, colours] of [[13, 5, 4], [256, 48, 3], [1, 1, 1]] as const) {
    it(`${width}×${height}, ${colours} colours: every pixel is its palette colour`, async () => {
      const indices = Uint8Array.from({ length: width * height }, (_, i) => (i * 7 + (i >> 3)) % colours)
      const png = palettePng(indices, width, height, PALETTE.slice(0, colours))
      const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true })
      expect([info.width, info.height, info.channels]).toEqual([width, height, 3])
      for (let i = 0; i < indices.length; i++) expect([...data.subarray(i * 3, i * 3 + 3)]).toEqual(PALETTE[indices[i]])
      const im = spawnSync('identify', ['-format', '%w %h %[type]', put(`p${width}.png`, png)], { encoding: 'utf8' })
      expect(im.status, im.stderr).toBe(0)
      expect(im.stdout.split(' ').slice(0, 2)).toEqual([String(width), String(height)])
    })
  }

  it('refuses more than four colours or a wrong index count', () => {
    expect(() => palettePng(new Uint8Array(4), 2, 2, [...PALETTE, [1, 2, 3]])).toThrow(/1–4 colours/)
    expect(() => palettePng(new Uint8Array(3), 2, 2, PALETTE)).toThrow(/one index per pixel/)
  })
})
