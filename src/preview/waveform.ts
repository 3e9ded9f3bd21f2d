import { sharp } from './require-cjs.js'
import type { PreviewImage } from './types.js'

const BACKGROUND = [24, 26, 32, 255]
const FOREGROUND = [110, 200, 255, 255]
const CENTRE = [70, 80, 96, 255]

/**
 * Draws a min/max envelope (values in -1..1, one pair per column) as a PNG: each column is a
 * vertical bar from max to min around the centre line. A palette PNG: three flat colours with hard
 * edges, which a 2-bit palette stores exactly in a few hundred bytes (lossy WebP would blur them).
 * quality 100 and no dithering keep the three colours exact (tests read the bars back by colour).
 */
export async function renderWaveform (envelopeMin: Float32Array, envelopeMax: Float32Array, height: number): Promise<PreviewImage> {
  const width = envelopeMin.length
  const px = new Uint8Array(width * height * 4)
  const mid = (height - 1) / 2
  const rowOf = (v: number): number => Math.round(mid - Math.max(-1, Math.min(1, v)) * mid)
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) px.set(y === Math.round(mid) ? CENTRE : BACKGROUND, (y * width + x) * 4)
  for (let x = 0; x < width; x++) {
    if (envelopeMax[x] === 0 && envelopeMin[x] === 0) continue
    const top = rowOf(envelopeMax[x]); const bottom = rowOf(envelopeMin[x])
    for (let y = top; y <= bottom; y++) px.set(FOREGROUND, (y * width + x) * 4)
  }
  const data = await sharp(px, { raw: { width, height, channels: 4 } }).removeAlpha().png({ palette: true, colours: 4, dither: 0, quality: 100, compressionLevel: 9 }).toBuffer()
  return { format: 'png', width, height, bytes: new Uint8Array(data.buffer, data.byteOffset, data.length) }
}

/** Pixel colour of the waveform bars, for tests that read the image back. */
export const WAVEFORM_FOREGROUND = FOREGROUND
