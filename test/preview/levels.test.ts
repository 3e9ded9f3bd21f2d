import { describe, expect, it } from 'vitest'
import { LevelMeter } from '../../src/preview/levels.js'
import { rng } from './helpers.js'

/**
 * LevelMeter.add (interleaved WAV samples) runs per waveform column rather than per frame; its
 * results must be exactly those of the per-frame pass (addPlanar, which the compressed decoders use).
 */
function both (channels: number, totalFrames: number, columns: number, blocks: number[], clipMax: number, seed: number): [ReturnType<LevelMeter['result']>, ReturnType<LevelMeter['result']>] {
  const rand = rng(seed)
  const interleaved = new LevelMeter(channels, 44100, totalFrames, columns, 10, 8000, clipMax)
  const planar = new LevelMeter(channels, 44100, totalFrames, columns, 10, 8000, clipMax)
  let at = 0
  for (const frames of blocks) {
    const samples = new Float32Array(frames * channels)
    for (let i = 0; i < samples.length; i++) samples[i] = Math.fround((rand() * 2 - 1) * (0.2 + 0.8 * Math.sin(at / 5000 + i)))
    interleaved.add(samples, frames)
    const planes = Array.from({ length: channels }, (_, c) => Float32Array.from({ length: frames }, (_, f) => samples[f * channels + c]))
    planar.addPlanar(planes, frames, at)
    at += frames
  }
  return [interleaved.result(), planar.result()]
}

describe('LevelMeter', () => {
  for (const [name, channels, total, columns, blocks, clipMax] of [
    ['stereo, blocks across column edges, clip inside the first block', 2, 200_003, 256, [65_536, 65_536, 68_931], 4000],
    ['mono, more columns than fit evenly, clip across blocks', 1, 500_000, 255, [100_000, 1, 99_999, 300_000], 80_000],
    ['6 channels, fewer frames than columns', 6, 100, 256, [37, 63], 1000],
    ['frames beyond the declared total land in the last column', 2, 1000, 16, [800, 800], 10]
  ] as const) {
    it(`add gives exactly the per-frame results: ${name}`, () => {
      const [a, b] = both(channels, total, columns, [...blocks], clipMax, total)
      expect(a.peakDb).toBe(b.peakDb)
      expect(Math.abs(a.rmsDb - b.rmsDb)).toBeLessThan(1e-9) // Σv² summed in another order
      expect([...a.envelopeMin]).toEqual([...b.envelopeMin])
      expect([...a.envelopeMax]).toEqual([...b.envelopeMax])
      expect([...a.clip]).toEqual([...b.clip])
      expect(a.envelopeMax.some(v => v > 0)).toBe(true)
    })
  }

  for (const [name, channels, total, columns, blocks, clipMax] of [
    ['stereo, clip inside the first block, full-scale samples', 2, 200_003, 256, [65_536, 65_536, 68_931], 4000],
    ['mono, clip across blocks', 1, 500_000, 255, [100_000, 1, 99_999, 300_000], 80_000],
    ['frames beyond the declared total land in the last column', 2, 1000, 16, [800, 800], 10]
  ] as const) {
    it(`addPcm16 gives bit for bit what add of samples / 32768 gives: ${name}`, () => {
      const rand = rng(total + 1)
      const asFloats = new LevelMeter(channels, 44100, total, columns, 10, 8000, clipMax)
      const asInts = new LevelMeter(channels, 44100, total, columns, 10, 8000, clipMax)
      const scratch = new Float32Array(Math.max(...blocks) * channels)
      for (const frames of blocks) {
        const ints = Int16Array.from({ length: frames * channels }, (_, i) => i === 7 ? -32768 : i === 9 ? 32767 : Math.round((rand() * 2 - 1) * 32767 * (0.2 + 0.8 * Math.abs(Math.sin(i / 977)))))
        asFloats.add(Float32Array.from(ints, v => v / 32768), frames)
        asInts.addPcm16(ints, frames, scratch)
      }
      const [a, b] = [asFloats.result(), asInts.result()]
      expect(b.peakDb).toBe(a.peakDb)
      expect(b.rmsDb).toBe(a.rmsDb)
      expect([...b.envelopeMin]).toEqual([...a.envelopeMin])
      expect([...b.envelopeMax]).toEqual([...a.envelopeMax])
      expect([...b.clip]).toEqual([...a.clip])
      expect(a.peakDb).toBe(0) // the -32768 sample
    })
  }
})
