/**
 * Shrink-on-decode for our own texture decoders: RGBA rows are averaged into factor×factor blocks
 * as they are decoded, so a 4096² TGA becomes a 512² image for the thumbnail instead of a 64 MiB
 * buffer that sharp then shrinks itself. This is the step libvips' resize takes first anyway (an
 * integer box shrink to at least twice the target, then the Lanczos reduce; vips_resize `gap` 2),
 * so the thumbnail matches a full-size downscale, at a fraction of the memory and time.
 * Averaging is alpha-weighted (premultiplied), as libvips does, so transparent pixels do not
 * bleed their colour into the edges of a cut-out.
 */

/** Integer shrink factor that leaves the long side at least twice `size` (1: no shrink). */
export function shrinkFactor (width: number, height: number, size: number): number {
  return Math.max(1, Math.floor(Math.max(width, height) / (2 * size)))
}

export class BoxShrinker {
  readonly outWidth: number
  readonly outHeight: number
  /** per block: Σ r·a, Σ g·a, Σ b·a, Σ a (premultiplied) or Σ r, Σ g, Σ b, Σ a (plain) */
  private readonly sums: Float64Array
  private readonly blockOfColumn: Uint32Array

  /** `premultiplied` false: colour is averaged plainly (alpha that will be dropped must not weight it). */
  constructor (readonly width: number, readonly height: number, readonly factor: number, private readonly premultiplied: boolean) {
    this.outWidth = Math.ceil(width / factor)
    this.outHeight = Math.ceil(height / factor)
    this.sums = new Float64Array(this.outWidth * this.outHeight * 4)
    this.blockOfColumn = new Uint32Array(width)
    for (let x = 0; x < width; x++) this.blockOfColumn[x] = Math.floor(x / factor) * 4
  }

  /** Adds row y (top-down numbering) of the full image, `width` RGBA pixels. */
  addRow (y: number, row: Uint8Array): void {
    const s = this.sums; const cols = this.blockOfColumn
    const base = Math.floor(y / this.factor) * this.outWidth * 4
    if (this.premultiplied) {
      for (let x = 0, p = 0; x < this.width; x++, p += 4) {
        const a = row[p + 3]
        if (a === 0) continue
        const o = base + cols[x]
        s[o] += row[p] * a; s[o + 1] += row[p + 1] * a; s[o + 2] += row[p + 2] * a; s[o + 3] += a
      }
    } else {
      for (let x = 0, p = 0; x < this.width; x++, p += 4) {
        const o = base + cols[x]
        s[o] += row[p]; s[o + 1] += row[p + 1]; s[o + 2] += row[p + 2]; s[o + 3] += row[p + 3]
      }
    }
  }

  /** The averaged image, outWidth × outHeight RGBA (edge blocks average the pixels they hold). */
  result (): Uint8Array {
    const { outWidth, outHeight, factor, width, height } = this
    const out = new Uint8Array(outWidth * outHeight * 4)
    const s = this.sums
    for (let by = 0; by < outHeight; by++) {
      const rows = Math.min(factor, height - by * factor)
      for (let bx = 0; bx < outWidth; bx++) {
        const n = rows * Math.min(factor, width - bx * factor)
        const o = (by * outWidth + bx) * 4
        const a = s[o + 3]
        // premultiplied: colour is Σ c·a / Σ a; a fully transparent block is transparent black, as libvips leaves it
        const div = this.premultiplied ? a : n
        if (div > 0) { out[o] = Math.round(s[o] / div); out[o + 1] = Math.round(s[o + 1] / div); out[o + 2] = Math.round(s[o + 2] / div) }
        out[o + 3] = Math.round(a / n)
      }
    }
    return out
  }
}
