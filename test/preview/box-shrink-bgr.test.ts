import { describe, expect, it } from 'vitest'
import { BoxShrinker } from '../../src/preview/box-shrink.js'
import { prng } from '../fixtures/prng.js'

/**
 * addBgrRow (a TGA's true-colour bytes summed straight into the blocks) must give exactly what
 * converting each row to RGBA and calling addRow gives: same sums, same rounding, same alpha range.
 */
describe('BoxShrinker.addBgrRow', () => {
  for (const [bpp, premultiplied] of [[3, false], [4, true], [4, false]] as const) {
    it(`${bpp}-byte pixels${premultiplied ? ', alpha-weighted' : ''}: the same image as addRow of the RGBA rows`, () => {
      const rand = prng(bpp * 10 + Number(premultiplied))
      const width = 37; const height = 23; const factor = 4
      const viaRgba = new BoxShrinker(width, height, factor, premultiplied)
      const direct = new BoxShrinker(width, height, factor, premultiplied)
      let min = 255; let max = 0
      // bottom-up, as TGA rows usually come, and from an offset inside a larger window
      for (let y = height - 1; y >= 0; y--) {
        const bytes = new Uint8Array(5 + width * bpp)
        for (let i = 5; i < bytes.length; i++) bytes[i] = Math.floor(rand() * 256)
        if (bpp === 4) for (let x = 0; x < width; x += 3) bytes[5 + x * 4 + 3] = 0 // transparent pixels among them
        const rgba = new Uint8Array(width * 4)
        for (let x = 0; x < width; x++) {
          const p = 5 + x * bpp
          rgba.set([bytes[p + 2], bytes[p + 1], bytes[p], bpp === 4 ? bytes[p + 3] : 255], x * 4)
          if (bpp === 4) { min = Math.min(min, bytes[p + 3]); max = Math.max(max, bytes[p + 3]) }
        }
        viaRgba.addRow(y, rgba)
        direct.addBgrRow(y, bytes, 5, bpp)
      }
      expect(Buffer.from(direct.result()).equals(Buffer.from(viaRgba.result()))).toBe(true)
      expect([direct.alphaMin, direct.alphaMax]).toEqual(bpp === 4 ? [min, max] : [255, 0])
      expect(direct.outWidth).toBe(10)
    })
  }
})
