import { crc32, deflateSync } from 'node:zlib'

/**
 * A 2-bit palette PNG (at most four colours) from one palette index per pixel. Written here, not
 * by sharp, for the audio waveform: its three flat colours need no quantiser, and a libvips
 * pipeline per sound (plus loading its PNG encoder in every preview worker) cost more than the
 * whole waveform; zlib (deflate) and the PNG chunk layout are all there is to it.
 */
export function palettePng (indices: Uint8Array, width: number, height: number, palette: ReadonlyArray<readonly number[]>): Uint8Array {
  if (palette.length < 1 || palette.length > 4 || indices.length !== width * height) throw new Error('palettePng: 1–4 colours and one index per pixel')
  const rowBytes = Math.ceil(width / 4)
  const raw = new Uint8Array((rowBytes + 1) * height) // each row: filter type 0, then 4 pixels a byte, first in the high bits
  for (let y = 0; y < height; y++) {
    const row = y * (rowBytes + 1) + 1
    for (let x = 0; x < width; x++) raw[row + (x >> 2)] |= (indices[y * width + x] & 3) << (6 - 2 * (x & 3))
  }
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(width, 0); ihdr.writeUInt32BE(height, 4)
  ihdr[8] = 2; ihdr[9] = 3 // bit depth 2, colour type 3 (palette); compression, filter, interlace 0
  const plte = Buffer.from(palette.flatMap(c => [c[0], c[1], c[2]]))
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr), chunk('PLTE', plte), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0))
  ])
}

function chunk (type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length)
  out.writeUInt32BE(data.length, 0)
  out.write(type, 4, 'latin1')
  out.set(data, 8)
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length)
  return out
}
