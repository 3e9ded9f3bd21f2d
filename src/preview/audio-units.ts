/**
 * Index of a compressed audio stream's independently decodable units (MPEG frames, Ogg pages):
 * file offset, length and first sample of each, in typed arrays so a long file stays small.
 * The index gives the exact duration (no header needed) and lets the decoder pick a sample of
 * units spread over the whole sound.
 */
export class AudioUnits {
  offsets = new Float64Array(1024)
  lengths = new Uint32Array(1024)
  /** first sample (per channel, at the output rate) of each unit */
  starts = new Float64Array(1024)
  count = 0
  /** samples per channel after the last unit */
  totalSamples = 0

  push (offset: number, length: number, start: number): void {
    if (this.count === this.offsets.length) {
      const grow = <T extends Float64Array | Uint32Array>(a: T, make: (n: number) => T): T => { const b = make(a.length * 2); b.set(a as any); return b }
      this.offsets = grow(this.offsets, n => new Float64Array(n))
      this.lengths = grow(this.lengths, n => new Uint32Array(n))
      this.starts = grow(this.starts, n => new Float64Array(n))
    }
    this.offsets[this.count] = offset; this.lengths[this.count] = length; this.starts[this.count] = start
    this.count++
  }

  /** Index of the unit holding sample s (binary search over starts). */
  unitAt (s: number): number {
    let lo = 0; let hi = this.count - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1
      if (this.starts[mid] <= s) lo = mid
      else hi = mid - 1
    }
    return lo
  }
}

export interface IndexedStream {
  codec: 'mp3' | 'mp2' | 'mp1' | 'vorbis' | 'opus'
  sampleRate: number
  channels: number
  units: AudioUnits
  /** bytes every decoder instance needs before any unit (Ogg header pages); empty for MPEG */
  header: { offset: number, length: number }
  /** units decoded (and thrown away) before a sampled segment so the decoder's state is primed */
  primeUnits: number
  /** samples after a discontinuity that may still carry the previous run's overlap */
  discardSamples: number
  info: Record<string, unknown>
}
