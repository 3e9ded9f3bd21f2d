/**
 * HDR to a thumbnail's 8-bit sRGB: exposure set so the 99th-percentile luminance is white,
 * highlights above it clipped (a thumbnail is for recognising the texture). Shared by the
 * OpenEXR/Radiance previews and BC6H textures.
 */

/** Linear up to the white point, clipped above it (NaN and negatives are black). */
export function tone (v: number): number { return !Number.isFinite(v) || v <= 0 ? 0 : Math.min(1, v) }

export function toSrgb8 (v: number): number {
  const c = Math.max(0, Math.min(1, v))
  return Math.round(255 * (c <= 0.0031308 ? 12.92 * c : 1.055 * c ** (1 / 2.4) - 0.055))
}

/** The p-quantile of values, from a 1024-bucket histogram of log luminance (one pass, no sort). */
export function percentile (values: Float32Array, p: number): number {
  let max = 0
  for (const v of values) if (v > max) max = v
  if (max === 0) return 0
  const buckets = new Uint32Array(1024)
  const lo = max / 2 ** 20
  const scale = 1023 / Math.log2(max / lo)
  let n = 0
  for (const v of values) { if (v <= lo) continue; buckets[Math.min(1023, Math.floor(Math.log2(v / lo) * scale))]++; n++ }
  let want = Math.ceil((1 - p) * n); let k = 1023
  for (; k > 0; k--) { want -= buckets[k]; if (want <= 0) break }
  return lo * 2 ** ((k + 1) / scale)
}

/** Linear RGB floats (3 a pixel) to opaque RGBA8, with the peak luminance and the white point used. */
export function toneMapRgb (rgb: Float32Array, pixels: number): { rgba: Uint8Array, peak: number, white: number } {
  const lum = new Float32Array(pixels)
  let peak = 0
  for (let i = 0; i < pixels; i++) {
    const l = 0.2126 * rgb[i * 3] + 0.7152 * rgb[i * 3 + 1] + 0.0722 * rgb[i * 3 + 2]
    lum[i] = Number.isFinite(l) ? Math.max(0, l) : 0
    if (lum[i] > peak) peak = lum[i]
  }
  const white = percentile(lum, 0.99) || peak || 1
  const rgba = new Uint8Array(pixels * 4)
  for (let i = 0; i < pixels; i++) {
    for (let c = 0; c < 3; c++) rgba[i * 4 + c] = toSrgb8(tone(rgb[i * 3 + c] / white))
    rgba[i * 4 + 3] = 255
  }
  return { rgba, peak, white }
}
