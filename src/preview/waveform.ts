import { palettePng } from './palette-png.js'
import type { PreviewImage } from './types.js'

const BACKGROUND = [24, 26, 32, 255]
const FOREGROUND = [110, 200, 255, 255]
const CENTRE = [70, 80, 96, 255]

/**
 * Draws a min/max envelope (values in -1..1, one pair per column) as a PNG: each column is a
 * vertical bar from max to min around the centre line. A 2-bit palette PNG: three flat colours with
 * hard edges, stored exactly in a few hundred bytes (lossy WebP would blur them; tests read the
 * bars back by colour).
 */
export async function renderWaveform (envelopeMin: Float32Array, envelopeMax: Float32Array, height: number): Promise<PreviewImage> {
  const width = envelopeMin.length
  const px = new Uint8Array(width * height) // palette indices: 0 background, 1 centre line, 2 bars
  const mid = (height - 1) / 2
  const rowOf = (v: number): number => Math.round(mid - Math.max(-1, Math.min(1, v)) * mid)
  px.fill(1, Math.round(mid) * width, (Math.round(mid) + 1) * width)
  for (let x = 0; x < width; x++) {
    if (envelopeMax[x] === 0 && envelopeMin[x] === 0) continue
    const top = rowOf(envelopeMax[x]); const bottom = rowOf(envelopeMin[x])
    for (let y = top; y <= bottom; y++) px[y * width + x] = 2
  }
  return { format: 'png', width, height, bytes: palettePng(px, width, height, [BACKGROUND, CENTRE, FOREGROUND]) }
}

/** Pixel colour of the waveform bars, for tests that read the image back. */
export const WAVEFORM_FOREGROUND = FOREGROUND
