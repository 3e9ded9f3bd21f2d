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
  private readonly out: Uint8Array
  /**
   * One block row of sums (Σ r·a, Σ g·a, Σ b·a, Σ a premultiplied, or Σ r, Σ g, Σ b, Σ a plain):
   * rows come in block-row order, top-down or bottom-up as decoders read them, so only the block
   * row being filled needs sums (a few KiB, not 32 bytes per output pixel).
   */
  private readonly sums: Float64Array
  private readonly blockOfColumn: Uint32Array
  private blockRow = -1
  private rowsInBlock = 0
  private readonly finished: Uint8Array

  /** `premultiplied` false: colour is averaged plainly (alpha that will be dropped must not weight it). */
  constructor (readonly width: number, readonly height: number, readonly factor: number, private readonly premultiplied: boolean) {
    this.outWidth = Math.ceil(width / factor)
    this.outHeight = Math.ceil(height / factor)
    this.out = new Uint8Array(this.outWidth * this.outHeight * 4)
    this.sums = new Float64Array(this.outWidth * 4)
    this.finished = new Uint8Array(this.outHeight)
    this.blockOfColumn = new Uint32Array(width)
    for (let x = 0; x < width; x++) this.blockOfColumn[x] = Math.floor(x / factor) * 4
  }

  /** Lowest and highest alpha addBgrRow saw (255 / 0 before any 4-byte pixel). */
  alphaMin = 255
  alphaMax = 0

  private startRow (y: number): void {
    const by = Math.floor(y / this.factor)
    if (by !== this.blockRow) {
      this.finishBlockRow()
      // a decoder bug, not a file's: block rows are written once
      if (this.finished[by] === 1) throw new Error(`BoxShrinker: row ${y} comes after its block row was finished`)
      this.blockRow = by
    }
    this.rowsInBlock++
  }

  /** Adds row y (top-down numbering) of the full image, `width` RGBA pixels. */
  addRow (y: number, row: Uint8Array): void {
    this.startRow(y)
    const s = this.sums; const cols = this.blockOfColumn
    if (this.premultiplied) {
      for (let x = 0, p = 0; x < this.width; x++, p += 4) {
        const a = row[p + 3]
        if (a === 0) continue
        const o = cols[x]
        s[o] += row[p] * a; s[o + 1] += row[p + 1] * a; s[o + 2] += row[p + 2] * a; s[o + 3] += a
      }
    } else {
      for (let x = 0, p = 0; x < this.width; x++, p += 4) {
        const o = cols[x]
        s[o] += row[p]; s[o + 1] += row[p + 1]; s[o + 2] += row[p + 2]; s[o + 3] += row[p + 3]
      }
    }
  }

  /**
   * Adds row y straight from true-colour file bytes (BGR, or BGRA when bpp is 4, left to right
   * from bytes[o]), as addRow would add their RGBA, and notes the alpha range: the hot path of a
   * large TGA, with no RGBA row in between and each block's pixels summed in locals (a 4096²
   * texture is 16 M pixels; this runs at ~1 ns a pixel against ~6 for decode-then-addRow).
   */
  addBgrRow (y: number, b: Uint8Array, o: number, bpp: 3 | 4): void {
    this.startRow(y)
    const s = this.sums; const f = this.factor; const w = this.width
    let aMin = this.alphaMin; let aMax = this.alphaMax
    for (let x0 = 0, i = 0; x0 < w; x0 += f, i += 4) {
      const x1 = x0 + f < w ? x0 + f : w
      let r = 0; let g = 0; let bl = 0; let a = 0
      if (bpp === 3) {
        for (let p = o + x0 * 3, end = o + x1 * 3; p < end; p += 3) { bl += b[p]; g += b[p + 1]; r += b[p + 2] }
        a = 255 * (x1 - x0)
      } else if (this.premultiplied) {
        for (let p = o + x0 * 4, end = o + x1 * 4; p < end; p += 4) {
          const al = b[p + 3]
          if (al < aMin) aMin = al
          if (al > aMax) aMax = al
          bl += b[p] * al; g += b[p + 1] * al; r += b[p + 2] * al; a += al
        }
      } else {
        for (let p = o + x0 * 4, end = o + x1 * 4; p < end; p += 4) {
          const al = b[p + 3]
          if (al < aMin) aMin = al
          if (al > aMax) aMax = al
          bl += b[p]; g += b[p + 1]; r += b[p + 2]; a += al
        }
      }
      s[i] += r; s[i + 1] += g; s[i + 2] += bl; s[i + 3] += a
    }
    this.alphaMin = aMin; this.alphaMax = aMax
  }

  /** The averaged image, outWidth × outHeight RGBA (edge blocks average the pixels they hold). */
  result (): Uint8Array {
    this.finishBlockRow()
    return this.out
  }

  private finishBlockRow (): void {
    if (this.blockRow < 0) return
    const { outWidth, factor, width } = this
    const s = this.sums; const out = this.out
    const rows = this.rowsInBlock
    for (let bx = 0; bx < outWidth; bx++) {
      const n = rows * Math.min(factor, width - bx * factor)
      const i = bx * 4; const o = (this.blockRow * outWidth + bx) * 4
      const a = s[i + 3]
      // premultiplied: colour is Σ c·a / Σ a; a fully transparent block is transparent black, as libvips leaves it
      const div = this.premultiplied ? a : n
      if (div > 0) { out[o] = Math.round(s[i] / div); out[o + 1] = Math.round(s[i + 1] / div); out[o + 2] = Math.round(s[i + 2] / div) }
      out[o + 3] = Math.round(a / n)
    }
    this.finished[this.blockRow] = 1
    s.fill(0)
    this.blockRow = -1; this.rowsInBlock = 0
  }
}
