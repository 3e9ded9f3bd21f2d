/**
 * One pass over decoded samples that gathers everything an audio preview shows: peak and RMS
 * level, a min/max envelope per waveform column, and a mono low-rate clip of the opening.
 */

export interface LevelsResult {
  peakDb: number
  rmsDb: number
  envelopeMin: Float32Array
  envelopeMax: Float32Array
  /** mono average of the opening, -1..1 (floats may exceed it), at clipRate */
  clip: Float32Array
  clipRate: number
}

export class LevelMeter {
  private peak = 0
  private sumSq = 0
  private count = 0
  private frame = 0
  readonly envelopeMin: Float32Array
  readonly envelopeMax: Float32Array
  private readonly clipSum: Float64Array
  private readonly clipN: Uint32Array
  private readonly clipFrames: number

  /** The clip covers at most clipSeconds and clipMaxSamples samples (at clipRate) of the opening. */
  constructor (private readonly channels: number, private readonly sampleRate: number, private readonly totalFrames: number, columns: number, clipSeconds: number, private readonly clipRate: number, clipMaxSamples = Infinity) {
    this.envelopeMin = new Float32Array(columns)
    this.envelopeMax = new Float32Array(columns)
    const seconds = Math.max(0, Math.min(clipSeconds, clipMaxSamples / clipRate))
    this.clipFrames = Math.min(totalFrames, Math.floor(seconds * sampleRate))
    // floor, then clamp: rounding must never let the clip outgrow its sample budget
    const clipLength = Math.min(clipMaxSamples, Math.ceil(this.clipFrames * clipRate / sampleRate))
    this.clipSum = new Float64Array(clipLength)
    this.clipN = new Uint32Array(clipLength)
  }

  /**
   * Interleaved samples (WAV), `frames` of them, following what was added before. The hot path of
   * every WAV preview (a 10-minute stereo file is 58 M samples): instead of per-frame column and
   * clip arithmetic, each run of frames that falls in one waveform column is one flat loop over
   * its samples (min, max, Σv²; the peak is max(max, −min)), and only the clip's opening frames
   * take the per-frame path.
   */
  add (samples: Float32Array, frames: number): void {
    const ch = this.channels
    const start = this.frame
    const inClip = Math.max(0, Math.min(frames, this.clipFrames - start))
    if (inClip > 0) this.addFrames(Array.from({ length: ch }, () => samples), Array.from({ length: ch }, (_, c) => c), ch, inClip, start)
    const columns = this.envelopeMin.length
    const colScale = columns / Math.max(1, this.totalFrames)
    let peak = this.peak; let sumSq = this.sumSq
    for (let f = inClip; f < frames;) {
      const pos = start + f
      const col = Math.min(columns - 1, Math.floor(pos * colScale))
      const end = this.runEnd(col, pos, start, frames, colScale)
      let lo = this.envelopeMin[col]; let hi = this.envelopeMax[col]
      for (let i = f * ch, stop = end * ch; i < stop; i++) {
        const v = samples[i]
        if (v < lo) lo = v
        if (v > hi) hi = v
        sumSq += v * v
      }
      if (hi > peak) peak = hi
      if (-lo > peak) peak = -lo
      this.envelopeMin[col] = lo; this.envelopeMax[col] = hi
      f = end
    }
    this.peak = peak; this.sumSq = sumSq
    this.count += (frames - inClip) * ch
    this.frame += frames
  }

  /**
   * 16-bit PCM samples as stored (interleaved), the common WAV case, without converting them to
   * floats first: the same result as add() of samples / 32768, bit for bit (the envelope holds
   * those exact quotients, the peak is the largest magnitude, and Σv² accumulates in a copy scaled
   * by 2³⁰, which rounds exactly as the unscaled sum does), in ~⅓ of the time. `scratch` takes
   * the clip's opening frames as floats (at least frames × channels long).
   */
  addPcm16 (samples: Int16Array, frames: number, scratch: Float32Array): void {
    const ch = this.channels
    const start = this.frame
    const inClip = Math.max(0, Math.min(frames, this.clipFrames - start))
    if (inClip > 0) {
      for (let i = 0, n = inClip * ch; i < n; i++) scratch[i] = samples[i] / 32768
      this.addFrames(Array.from({ length: ch }, () => scratch), Array.from({ length: ch }, (_, c) => c), ch, inClip, start)
    }
    const columns = this.envelopeMin.length
    const colScale = columns / Math.max(1, this.totalFrames)
    let peak = this.peak * 32768; let sumSq = this.sumSq * 1073741824
    for (let f = inClip; f < frames;) {
      const pos = start + f
      const col = Math.min(columns - 1, Math.floor(pos * colScale))
      const end = this.runEnd(col, pos, start, frames, colScale)
      let lo = this.envelopeMin[col] * 32768; let hi = this.envelopeMax[col] * 32768
      for (let i = f * ch, stop = end * ch; i < stop; i++) {
        const v = samples[i]
        if (v < lo) lo = v
        if (v > hi) hi = v
        sumSq += v * v
      }
      if (hi > peak) peak = hi
      if (-lo > peak) peak = -lo
      this.envelopeMin[col] = lo / 32768; this.envelopeMax[col] = hi / 32768
      f = end
    }
    this.peak = peak / 32768; this.sumSq = sumSq / 1073741824
    this.count += (frames - inClip) * ch
    this.frame += frames
  }

  /** Where the run of frames from `pos` that falls in column `col` ends (frame index from `start`, at most `frames`). */
  private runEnd (col: number, pos: number, start: number, frames: number, colScale: number): number {
    if (col >= this.envelopeMin.length - 1) return frames
    // the run ends where floor(p · colScale) reaches the next column (the same expression as addFrames)
    let next = Math.ceil((col + 1) / colScale)
    while (next > pos + 1 && Math.floor((next - 1) * colScale) > col) next--
    while (Math.floor(next * colScale) <= col) next++
    return Math.min(frames, next - start)
  }

  /**
   * Planar samples (one array per channel, as the wasm decoders give them), `frames` of them from
   * index `from`, placed at frame `at`: a sampled decode adds runs from across the sound.
   */
  addPlanar (channelData: Float32Array[], frames: number, at: number, from = 0): void {
    const ch = this.channels
    const data = Array.from({ length: ch }, (_, c) => channelData[Math.min(c, channelData.length - 1)])
    this.addFrames(data, data.map(() => from), 1, frames, at)
  }

  /** The one pass: channel c of frame f is data[c][offset[c] + f * stride]; frame f lands at `at + f`. */
  private addFrames (data: Float32Array[], offset: number[], stride: number, frames: number, at: number): void {
    const ch = this.channels
    const columns = this.envelopeMin.length
    const colScale = columns / Math.max(1, this.totalFrames)
    const clipScale = this.clipRate / this.sampleRate
    let peak = this.peak; let sumSq = this.sumSq
    for (let f = 0; f < frames; f++) {
      const pos = at + f
      const col = Math.min(columns - 1, Math.floor(pos * colScale))
      let lo = this.envelopeMin[col]; let hi = this.envelopeMax[col]
      let mono = 0
      for (let c = 0; c < ch; c++) {
        const v = data[c][offset[c] + f * stride]
        const a = v < 0 ? -v : v
        if (a > peak) peak = a
        sumSq += v * v
        if (v < lo) lo = v
        if (v > hi) hi = v
        mono += v
      }
      this.envelopeMin[col] = lo; this.envelopeMax[col] = hi
      if (pos < this.clipFrames) {
        // box average over the source frames of each clip sample: a cheap anti-alias filter
        const k = Math.floor(pos * clipScale)
        if (k < this.clipN.length) { this.clipSum[k] += mono / ch; this.clipN[k]++ }
      }
    }
    this.peak = peak; this.sumSq = sumSq
    this.count += frames * ch
  }

  result (): LevelsResult {
    const clip = new Float32Array(this.clipSum.length)
    for (let k = 0; k < clip.length; k++) clip[k] = this.clipN[k] > 0 ? this.clipSum[k] / this.clipN[k] : 0
    return {
      peakDb: toDb(this.peak),
      rmsDb: this.count > 0 ? toDb(Math.sqrt(this.sumSq / this.count)) : -Infinity,
      envelopeMin: this.envelopeMin,
      envelopeMax: this.envelopeMax,
      clip,
      clipRate: this.clipRate
    }
  }
}

/** dBFS of a linear level; silence is -Infinity, which JSON turns into null. */
export function toDb (linear: number): number { return linear > 0 ? 20 * Math.log10(linear) : -Infinity }
