import { GasError } from '../errors.js'
import type { ByteSource } from './byte-source.js'
import { MAX_DECODE_PIXELS } from './limits.js'

/**
 * PSD/PSB merged-composite reader. The maintained npm PSD libraries (ag-psd, psd.js) parse every
 * layer into canvases or need a browser; a preview needs only the flattened image Photoshop
 * stores at the end of the file, which is a short, well-specified section. Streams it row by row.
 */

export interface PsdImage { width: number, height: number, channels: number, bitDepth: number, alpha: boolean, colorMode: string, rgba: Uint8Array, layers: number }

const MODES: Record<number, string> = { 0: 'bitmap', 1: 'grayscale', 2: 'indexed', 3: 'rgb', 4: 'cmyk', 7: 'multichannel', 8: 'duotone', 9: 'lab' }

export async function decodePsd (src: ByteSource): Promise<PsdImage> {
  const h = await src.take(26, 'PSD header')
  const dv = new DataView(h.buffer, h.byteOffset, h.length)
  const bad = (why: string): GasError => GasError.malformedAsset(src.path, `not a valid PSD: ${why}`)
  if (String.fromCharCode(h[0], h[1], h[2], h[3]) !== '8BPS') throw bad('missing "8BPS" signature')
  const version = dv.getUint16(4)
  if (version !== 1 && version !== 2) throw bad(`version ${version}`)
  const big = version === 2 // PSB: 64-bit section lengths and 32-bit row counts
  const channelCount = dv.getUint16(12)
  const height = dv.getUint32(14); const width = dv.getUint32(18)
  const depth = dv.getUint16(22); const mode = dv.getUint16(24)
  if (channelCount < 1 || channelCount > 56) throw bad(`${channelCount} channels`)
  if (width === 0 || height === 0) throw bad('zero width or height')
  if (width * height > MAX_DECODE_PIXELS) throw GasError.malformedAsset(src.path, `PSD claims ${width}×${height} pixels, over the ${MAX_DECODE_PIXELS}-pixel preview limit`)
  if (![8, 16, 32].includes(depth)) {
    if (depth === 1) throw new GasError('E_NO_PREVIEW', 'no preview for this PSD: 1-bit bitmap mode', { path: src.path })
    throw bad(`bit depth ${depth}`)
  }
  if (mode !== 3 && mode !== 1) throw new GasError('E_NO_PREVIEW', `no preview for this PSD colour mode: ${MODES[mode] ?? mode} (supported: RGB, grayscale)`, { path: src.path })
  const colorChannels = mode === 3 ? 3 : 1
  if (channelCount < colorChannels) throw bad(`${channelCount} channels for ${MODES[mode]} mode`)
  // colour mode data, image resources, layer and mask info: skipped by their lengths
  let layers = 0
  for (const [section, wide] of [['colour mode data', false], ['image resources', false], ['layer and mask info', big]] as const) {
    const len = await src.take(wide ? 8 : 4, `PSD ${section} length`)
    const ldv = new DataView(len.buffer, len.byteOffset, len.length)
    const n = wide ? Number(ldv.getBigUint64(0)) : ldv.getUint32(0)
    const start = src.offset
    // the layer count opens the layer info (negative when the first alpha channel is the merged transparency)
    if (section === 'layer and mask info' && n >= (big ? 10 : 6)) {
      const head = await src.take(big ? 10 : 6, 'PSD layer info')
      const hdv = new DataView(head.buffer, head.byteOffset, head.length)
      const infoLength = big ? Number(hdv.getBigUint64(0)) : hdv.getUint32(0)
      if (infoLength >= 2) layers = Math.abs(hdv.getInt16(big ? 8 : 4))
      src.seek(start, 'PSD layer info')
    }
    src.skip(n, `PSD ${section}`)
  }
  const compression = (await src.take(2, 'PSD compression'))
  const method = (compression[0] << 8) | compression[1]
  if (method === 2 || method === 3) throw new GasError('E_NO_PREVIEW', 'no preview for this PSD: ZIP-compressed composite image', { path: src.path })
  if (method !== 0 && method !== 1) throw bad(`compression method ${method}`)
  const alpha = channelCount > colorChannels
  const used = colorChannels + (alpha ? 1 : 0) // further channels (spot colours, masks) are skipped
  const bps = depth / 8
  const rowBytes = width * bps
  const row = new Uint8Array(rowBytes)
  let counts: Uint32Array | null = null
  if (method === 1) {
    const entry = big ? 4 : 2
    const table = await src.take(channelCount * height * entry, 'PSD RLE row table')
    const tdv = new DataView(table.buffer, table.byteOffset, table.length)
    counts = new Uint32Array(channelCount * height)
    let total = 0
    for (let i = 0; i < counts.length; i++) { counts[i] = big ? tdv.getUint32(i * 4) : tdv.getUint16(i * 2); total += counts[i] }
    if (src.remaining < total) throw GasError.malformedAsset(src.path, `truncated: PSD composite rows need ${total} bytes but only ${src.remaining} remain`)
  } else if (src.remaining < channelCount * height * rowBytes) {
    throw GasError.malformedAsset(src.path, `truncated: PSD composite needs ${channelCount * height * rowBytes} bytes but only ${src.remaining} remain`)
  }
  // allocated only once the bytes present are known to cover the claimed size
  const rgba = new Uint8Array(width * height * 4)
  if (!alpha) for (let i = 3; i < rgba.length; i += 4) rgba[i] = 255
  for (let c = 0; c < channelCount; c++) {
    for (let y = 0; y < height; y++) {
      if (c >= used) { src.skip(counts !== null ? counts[c * height + y] : rowBytes, 'PSD channel'); continue }
      if (counts !== null) {
        const n = counts[c * height + y]
        await src.need(n, 'PSD RLE row')
        unpackBits(src.bytes, src.pos, n, row, () => bad(`RLE row ${y} of channel ${c} does not decode to ${rowBytes} bytes`))
        src.pos += n
      } else {
        await src.need(rowBytes, 'PSD row')
        row.set(src.bytes.subarray(src.pos, src.pos + rowBytes)); src.pos += rowBytes
      }
      const targets = c < colorChannels ? (mode === 1 ? [0, 1, 2] : [c]) : [3]
      for (let x = 0; x < width; x++) {
        const v = depth === 8 ? row[x] : depth === 16 ? row[x * 2] : floatByte(row, x * 4)
        for (const t of targets) rgba[(y * width + x) * 4 + t] = v
      }
    }
  }
  return { width, height, channels: used, bitDepth: depth, alpha, colorMode: MODES[mode], rgba, layers }
}

/** 32-bit PSDs store linear floats; clamp to 0..1 for the 8-bit thumbnail. */
function floatByte (row: Uint8Array, o: number): number {
  const v = new DataView(row.buffer, row.byteOffset + o, 4).getFloat32(0)
  return Math.round(Math.min(1, Math.max(0, Number.isNaN(v) ? 0 : v)) * 255)
}

/** PackBits: n ≥ 0 copies n+1 literal bytes, n in -127..-1 repeats the next byte 1-n times. */
function unpackBits (src: Uint8Array, o: number, length: number, out: Uint8Array, bad: () => GasError): void {
  const end = o + length
  let d = 0
  while (o < end) {
    const n = src[o++] << 24 >> 24
    if (n >= 0) {
      if (o + n + 1 > end || d + n + 1 > out.length) throw bad()
      out.set(src.subarray(o, o + n + 1), d); o += n + 1; d += n + 1
    } else if (n !== -128) {
      if (o >= end || d + 1 - n > out.length) throw bad()
      out.fill(src[o++], d, d + 1 - n); d += 1 - n
    }
  }
  if (d !== out.length) throw bad()
}
