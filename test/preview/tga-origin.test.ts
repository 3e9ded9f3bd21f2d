import { spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { withSource } from '../../src/preview/byte-source.js'
import { decodeTga } from '../../src/preview/tga.js'
import { tempDir } from './helpers.js'

/**
 * TGA pixel order: every origin (descriptor bits 4–5), raw and RLE, true-colour, 16-bit, grey and
 * colour-mapped, decoded pixel for pixel as ffmpeg's targa decoder decodes the same file.
 */
const { dir } = tempDir()
const W = 13; const H = 7

/** Pixel (x, y) of the image as shown, top-left origin; every pixel distinct. */
function colour (x: number, y: number): [number, number, number] { return [x * 19, y * 36, (x * 7 + y * 11) & 255] }

function makeTga (origin: number, type: 2 | 3 | 1 | 10, depth: 8 | 16 | 24): Buffer {
  const mapped = type === 1
  const head = Buffer.alloc(18)
  head[2] = type; head.writeUInt16LE(W, 12); head.writeUInt16LE(H, 14); head[16] = depth; head[17] = origin << 4
  let cmap = Buffer.alloc(0)
  if (mapped) {
    head[1] = 1; head.writeUInt16LE(0, 3); head.writeUInt16LE(W * H, 5); head[7] = 24
    cmap = Buffer.alloc(W * H * 3)
    for (let i = 0; i < W * H; i++) { const [r, g, b] = colour(i % W, Math.floor(i / W)); cmap[i * 3] = b; cmap[i * 3 + 1] = g; cmap[i * 3 + 2] = r }
  }
  const bpp = depth / 8
  const rows: Buffer[] = []
  for (let fileRow = 0; fileRow < H; fileRow++) {
    const y = (origin & 2) !== 0 ? fileRow : H - 1 - fileRow
    const row = Buffer.alloc(W * bpp)
    for (let fileCol = 0; fileCol < W; fileCol++) {
      const x = (origin & 1) !== 0 ? W - 1 - fileCol : fileCol
      const [r, g, b] = colour(x, y); const o = fileCol * bpp
      if (mapped) row[o] = y * W + x
      else if (depth === 8) row[o] = r
      else if (depth === 16) row.writeUInt16LE(0x8000 | ((r >> 3) << 10) | ((g >> 3) << 5) | (b >> 3), o)
      else { row[o] = b; row[o + 1] = g; row[o + 2] = r }
    }
    // RLE: one raw packet per pixel pair and a run packet for the last pixel, so both kinds cross the row
    rows.push(type === 10 ? rle(row, bpp) : row)
  }
  return Buffer.concat([head, cmap, ...rows])
}

function rle (row: Buffer, bpp: number): Buffer {
  const out: Buffer[] = []
  const n = row.length / bpp
  for (let i = 0; i < n - 1; i += 2) out.push(Buffer.from([i + 1 < n - 1 ? 1 : 0]), row.subarray(i * bpp, Math.min(n - 1, i + 2) * bpp))
  out.push(Buffer.from([0x80]), row.subarray((n - 1) * bpp))
  return Buffer.concat(out)
}

describe('TGA pixel order', () => {
  for (const origin of [0, 1, 2, 3]) {
    for (const [type, depth, name] of [[2, 24, 'true-colour'], [10, 24, 'RLE true-colour'], [2, 16, '16-bit'], [3, 8, 'grey'], [1, 8, 'colour-mapped']] as const) {
      it(`${name}, origin ${['bottom-left', 'bottom-right', 'top-left', 'top-right'][origin]}: the pixels ffmpeg decodes`, async () => {
        const path = join(dir, `o${origin}-${type}-${depth}.tga`)
        writeFileSync(path, makeTga(origin, type, depth))
        const img = await withSource(path, decodeTga)
        const ref = spawnSync('ffmpeg', ['-loglevel', 'error', '-i', path, '-f', 'rawvideo', '-pix_fmt', 'rgba', '-'], { maxBuffer: 1 << 20 })
        expect(ref.status, String(ref.stderr)).toBe(0)
        expect(ref.stdout.length).toBe(W * H * 4)
        expect(Buffer.from(img.rgba).equals(ref.stdout)).toBe(true)
        // and the picture is the one drawn, not merely ffmpeg's reading of it
        const [r, g] = colour(W - 1, 0)
        expect([img.rgba[(W - 1) * 4], img.rgba[(W - 1) * 4 + 1]]).toEqual(depth === 16 ? [(r >> 3 << 3) | (r >> 5), (g >> 3 << 3) | (g >> 5)] : depth === 8 && type === 3 ? [r, r] : [r, g])
      })
    }
  }
})
