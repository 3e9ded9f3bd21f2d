import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { generatePreview } from '../../src/preview/index.js'
import { ffmpeg, ffmpegDecodedSamples, ffmpegPeakDb } from './reference.js'
import { tempDir } from './helpers.js'

/**
 * RF64 (EBU Tech 3306): the WAV that broadcast recorders and ffmpeg write past 4 GiB, its sizes in
 * a "ds64" chunk and 0xFFFFFFFF in the 32-bit fields. Made by ffmpeg (`-rf64 always`) and checked
 * against ffmpeg's own decoding.
 */
const { dir } = tempDir()
const at = (name: string): string => join(dir, name)

describe('RF64 WAV', () => {
  it('24-bit stereo from ffmpeg: frames, duration and peak as ffmpeg decodes them, a waveform and a clip', async () => {
    ffmpeg('-f', 'lavfi', '-i', 'sine=frequency=300:duration=2.5:sample_rate=48000', '-af', 'volume=0.5', '-ac', '2', '-c:a', 'pcm_s24le', '-rf64', 'always', at('take.wav'))
    const bytes = readFileSync(at('take.wav'))
    expect(bytes.toString('latin1', 0, 4)).toBe('RF64')
    expect(bytes.includes(Buffer.from('ds64'))).toBe(true)
    const res = await generatePreview({ path: at('take.wav'), kind: 'audio', format: 'wav' })
    expect(res.info).toMatchObject({ sampleRate: 48000, channels: 2, bitDepth: 24, frames: ffmpegDecodedSamples(at('take.wav')) })
    expect(res.info.durationSeconds).toBeCloseTo(2.5, 3)
    expect(Math.abs((res.info.peakDb as number) - ffmpegPeakDb(at('take.wav')))).toBeLessThan(0.1)
    expect(res.image).not.toBeNull()
    expect(res.clip).not.toBeNull()

    // a chunk after the data (as BWF writers add) is not read as samples: ds64 says where the data ends
    const list = Buffer.concat([Buffer.from('LIST'), Buffer.from([12, 0, 0, 0]), Buffer.from('INFOISFT'), Buffer.from([0, 0, 0, 0])])
    writeFileSync(at('tail.wav'), Buffer.concat([bytes, list]))
    const tail = await generatePreview({ path: at('tail.wav'), kind: 'audio', format: 'wav' })
    expect(tail.info.frames).toBe(res.info.frames)
  })
})
