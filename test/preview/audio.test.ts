import { describe, expect, it } from 'vitest'
import { generatePreview } from '../../src/preview/index.js'
import { CLIP_SAMPLE_RATE, CLIP_SECONDS, clipBudgetBytes, WAVEFORM_HEIGHT, WAVEFORM_WIDTH } from '../../src/preview/limits.js'
import { WAVEFORM_FOREGROUND } from '../../src/preview/waveform.js'
import { makeWav, writeWav, type WavOpts } from '../fixtures/audio.js'
import { gasError, rgbaOf, tempDir } from './helpers.js'

const { dir, put } = tempDir()

const CASES: WavOpts[] = [
  { seconds: 1.5, sampleRate: 22050, channels: 1, bitDepth: 8, amplitude: 0.7 },
  { seconds: 2, sampleRate: 44100, channels: 2, bitDepth: 16, amplitude: 0.5 },
  { seconds: 1.25, sampleRate: 48000, channels: 2, bitDepth: 24, amplitude: 0.25, extensible: true, extraChunk: true },
  { seconds: 1, sampleRate: 48000, channels: 6, bitDepth: 32, float: true, amplitude: 0.9, signal: 'square' },
  { seconds: 0.5, sampleRate: 96000, channels: 1, bitDepth: 32, amplitude: 0.1, signal: 'noise' }
]

/** Rows covered by waveform bars in each column. */
async function barHeights (img: Parameters<typeof rgbaOf>[0]): Promise<number[]> {
  const { data, width, height } = await rgbaOf(img)
  const out: number[] = []
  for (let x = 0; x < width; x++) {
    let n = 0
    for (let y = 0; y < height; y++) {
      const p = (y * width + x) * 4
      if (data[p] === WAVEFORM_FOREGROUND[0] && data[p + 1] === WAVEFORM_FOREGROUND[1] && data[p + 2] === WAVEFORM_FOREGROUND[2]) n++
    }
    out.push(n)
  }
  return out
}

describe('audio previews', () => {
  for (const opts of CASES) {
    it(`WAV ${opts.bitDepth}-bit${opts.float === true ? ' float' : ''} ${opts.channels}ch: duration, peak, RMS`, async () => {
      const { bytes, expected } = makeWav(opts)
      const res = await generatePreview({ path: put(`a${opts.bitDepth}-${opts.channels}.wav`, bytes), kind: 'audio', format: 'wav' })
      const info = res.info as Record<string, number>
      expect(Math.abs(info.durationSeconds - opts.seconds)).toBeLessThan(0.001)
      expect(Math.abs(info.peakDb - expected.peakDb)).toBeLessThan(0.1)
      expect(Math.abs(info.rmsDb - expected.rmsDb)).toBeLessThan(0.1)
      // and against the ideal signal, so a fixture bug cannot hide a reader bug
      expect(Math.abs(info.peakDb - 20 * Math.log10(opts.amplitude!))).toBeLessThan(opts.signal === 'noise' ? 0.5 : 0.1)
      expect(info).toMatchObject({ sampleRate: opts.sampleRate, channels: opts.channels, bitDepth: opts.bitDepth, frames: expected.frames })
      expect(res.image).toMatchObject({ format: 'png', width: WAVEFORM_WIDTH, height: WAVEFORM_HEIGHT })
      expect(res.clip?.format).toBe('wav')
      expect(res.clip!.bytes.length).toBeLessThanOrEqual(clipBudgetBytes(bytes.length))
    })
  }

  it('a sine at -6 dBFS reads as -6.02 dB peak and -9.03 dB RMS', async () => {
    const { bytes } = makeWav({ seconds: 1, sampleRate: 48000, channels: 1, bitDepth: 16, amplitude: 0.5, frequency: 1000 })
    const info = (await generatePreview({ path: put('sine.wav', bytes), kind: 'audio', format: 'wav' })).info as Record<string, number>
    expect(info.peakDb).toBeCloseTo(-6.02, 1)
    expect(info.rmsDb).toBeCloseTo(-9.03, 1)
  })

  it('the waveform envelope follows a rising ramp', async () => {
    const { bytes } = makeWav({ seconds: 2, sampleRate: 16000, channels: 1, bitDepth: 16, amplitude: 1, signal: 'ramp', frequency: 200 })
    const res = await generatePreview({ path: put('ramp.wav', bytes), kind: 'audio', format: 'wav' })
    const heights = await barHeights(res.image!)
    const full = heights[heights.length - 1]
    expect(full).toBeGreaterThanOrEqual(WAVEFORM_HEIGHT - 2)
    for (const frac of [0.25, 0.5, 0.75]) {
      const col = Math.floor(frac * heights.length)
      expect(Math.abs(heights[col] / full - frac)).toBeLessThan(0.05)
    }
    expect(heights[2]).toBeLessThanOrEqual(3)
  })

  it('silence has -Infinity levels and an empty waveform', async () => {
    const { bytes } = makeWav({ seconds: 0.5, sampleRate: 8000, channels: 2, bitDepth: 16, signal: 'silence' })
    const res = await generatePreview({ path: put('silence.wav', bytes), kind: 'audio', format: 'wav' })
    expect(res.info.peakDb).toBe(-Infinity)
    expect(Math.max(...await barHeights(res.image!))).toBe(0)
  })

  /** Reads a preview clip's header, checks it is mono 8 kHz 8-bit PCM, and returns its sample count. */
  function clipSamples (clip: Buffer): number {
    expect(clip.toString('latin1', 0, 4)).toBe('RIFF')
    expect(clip.toString('latin1', 8, 12)).toBe('WAVE')
    expect(clip.readUInt16LE(20)).toBe(1) // PCM
    expect(clip.readUInt16LE(22)).toBe(1) // mono
    expect(clip.readUInt32LE(24)).toBe(CLIP_SAMPLE_RATE)
    expect(clip.readUInt16LE(34)).toBe(8)
    const samples = clip.readUInt32LE(40)
    expect(clip.length).toBe(44 + samples + (samples & 1))
    return samples
  }

  it('the clip is the opening, mono, 8 kHz, 8-bit, within max(4 KiB, 1% of the asset), and keeps the tone', async () => {
    const { bytes } = makeWav({ seconds: 12, sampleRate: 44100, channels: 2, bitDepth: 16, amplitude: 0.5, frequency: 440 })
    const res = await generatePreview({ path: put('long.wav', bytes), kind: 'audio', format: 'wav' })
    const clip = Buffer.from(res.clip!.bytes)
    const budget = clipBudgetBytes(bytes.length)
    expect(budget).toBe(Math.floor(bytes.length / 100)) // 2.1 MB: the 1% term
    expect(clip.length).toBeLessThanOrEqual(budget)
    const samples = clipSamples(clip)
    expect(samples).toBeGreaterThan(budget - 46) // the budget is used, not wasted
    // read the clip back through the previewer: its length, and the averaged stereo sine stays near -6 dB
    const back = await generatePreview({ path: put('clip.wav', clip), kind: 'audio', format: 'wav' })
    expect(back.info.durationSeconds).toBe(samples / CLIP_SAMPLE_RATE)
    expect(back.info.peakDb as number).toBeGreaterThan(-8)
    expect(back.info.peakDb as number).toBeLessThan(-5.5)
    expect(back.info.rmsDb as number).toBeGreaterThan(-10)
    expect(back.info.rmsDb as number).toBeLessThan(-8)
  })

  it('a large asset gets at most 10 s of clip; a short sound gets all of it within the 4 KiB floor', async () => {
    const big = makeWav({ seconds: 60, sampleRate: 48000, channels: 2, bitDepth: 16, amplitude: 0.5 }).bytes // 11.5 MB: 1% > 10 s
    const long = Buffer.from((await generatePreview({ path: put('big.wav', big), kind: 'audio', format: 'wav' })).clip!.bytes)
    expect(clipSamples(long)).toBe(CLIP_SECONDS * CLIP_SAMPLE_RATE)
    const { bytes: blip, expected } = makeWav({ seconds: 0.25, sampleRate: 22050, channels: 1, bitDepth: 16, amplitude: 0.5 })
    const short = Buffer.from((await generatePreview({ path: put('blip.wav', blip), kind: 'audio', format: 'wav' })).clip!.bytes)
    expect(clipSamples(short)).toBe(Math.ceil(expected.frames * CLIP_SAMPLE_RATE / 22050)) // every source frame
    expect(short.length).toBeLessThanOrEqual(clipBudgetBytes(blip.length))
    const sfx = makeWav({ seconds: 1, sampleRate: 44100, channels: 2, bitDepth: 16, amplitude: 0.5 }).bytes // 176 KB: the floor
    const cut = Buffer.from((await generatePreview({ path: put('sfx.wav', sfx), kind: 'audio', format: 'wav' })).clip!.bytes)
    expect(clipBudgetBytes(sfx.length)).toBe(4096)
    expect(cut.length).toBeLessThanOrEqual(4096)
    expect(clipSamples(cut)).toBeGreaterThanOrEqual(4096 - 46)
  })

  it('writeWav streams the same file makeWav builds', async () => {
    const opts: WavOpts = { seconds: 3, sampleRate: 32000, channels: 2, bitDepth: 24, amplitude: 0.3 }
    const expected = await writeWav(`${dir}/streamed.wav`, opts)
    const info = (await generatePreview({ path: `${dir}/streamed.wav`, kind: 'audio', format: 'wav' })).info as Record<string, number>
    expect(Math.abs(info.peakDb - expected.peakDb)).toBeLessThan(0.01)
    expect(info.durationSeconds).toBe(3)
  })

  it('a format with no decoder or reader is E_NO_PREVIEW naming the formats there are', async () => {
    const e = await gasError(generatePreview({ path: put('a.mid', 'MThd'), kind: 'audio', format: 'mid' }), 'E_NO_PREVIEW')
    expect(e.message).toMatch(/mid \(supported: wav.*mp3.*flac/)
  })

  it('bad WAVs fail with E_MALFORMED_ASSET and say why', async () => {
    const { bytes } = makeWav({ seconds: 0.1, sampleRate: 8000, channels: 1, bitDepth: 16 })
    const lying = Buffer.from(bytes); lying.writeUInt32LE(10_000_000, 40)
    expect((await gasError(generatePreview({ path: put('lying.wav', lying), kind: 'audio', format: 'wav' }), 'E_MALFORMED_ASSET')).message).toMatch(/wrong data length/)
    const odd = Buffer.from(bytes); odd.writeUInt32LE(1001, 40)
    expect((await gasError(generatePreview({ path: put('odd.wav', odd.subarray(0, 44 + 1001)), kind: 'audio', format: 'wav' }), 'E_MALFORMED_ASSET')).message).toMatch(/whole number/)
    await gasError(generatePreview({ path: put('cut.wav', bytes.subarray(0, 30)), kind: 'audio', format: 'wav' }), 'E_MALFORMED_ASSET')
    const badRate = Buffer.from(bytes); badRate.writeUInt32LE(0, 24)
    await gasError(generatePreview({ path: put('rate.wav', badRate), kind: 'audio', format: 'wav' }), 'E_MALFORMED_ASSET')
    const adpcm = Buffer.from(bytes); adpcm.writeUInt16LE(2, 20)
    expect((await gasError(generatePreview({ path: put('adpcm.wav', adpcm), kind: 'audio', format: 'wav' }), 'E_MALFORMED_ASSET')).message).toMatch(/ms-adpcm with 16-bit samples/)
    const wma = Buffer.from(bytes); wma.writeUInt16LE(0x161, 20)
    expect((await gasError(generatePreview({ path: put('wma.wav', wma), kind: 'audio', format: 'wav' }), 'E_NO_PREVIEW')).message).toMatch(/encoding 0x161 \(supported: PCM, IEEE float, A-law/)
    const noise = Buffer.alloc(2000, 0x5a)
    for (const f of ['wav', 'mp3', 'ogg', 'flac']) await gasError(generatePreview({ path: put(`noise.${f}`, noise), kind: 'audio', format: f }), 'E_MALFORMED_ASSET')
  })
})
