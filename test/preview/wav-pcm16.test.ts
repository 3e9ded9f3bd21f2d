import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { withSource } from '../../src/preview/byte-source.js'
import { forEachSampleBlock, readWavFormat } from '../../src/preview/wav.js'
import { writeWav } from '../fixtures/audio.js'
import { tempDir } from './helpers.js'

/** 16-bit PCM is handed over as the stored integers, whether the data sits at an even or an odd place in the read window. */
const { dir } = tempDir()

describe('16-bit PCM WAV blocks', () => {
  for (const oddWindow of [false, true]) {
    it(`are the file's samples, in order${oddWindow ? ', from a window that starts at an odd offset' : ''}`, async () => {
      const path = `${dir}/s${Number(oddWindow)}.wav`
      // 30 s spans several read blocks; 1 s fits the window whole, so it can sit there at an odd place
      await writeWav(path, { seconds: oddWindow ? 1 : 30, sampleRate: 22050, channels: 2, bitDepth: 16, amplitude: 0.5 })
      const file = readFileSync(path)
      const got: number[] = []
      let floats = 0
      const fmt = await withSource(path, readWavFormat)
      await withSource(path, async (src) => {
        if (oddWindow) { src.seek(1); await src.need(src.size - 1) } // the window holds the file from offset 1
        await forEachSampleBlock(src, fmt, () => { floats++ }, (samples, frames) => {
          expect(samples.length).toBeGreaterThanOrEqual(frames * 2)
          for (let i = 0; i < frames * 2; i++) got.push(samples[i])
        })
        const expected = new Int16Array(file.buffer.slice(file.byteOffset + fmt.dataOffset, file.byteOffset + fmt.dataOffset + fmt.frames * 4))
        expect(got.length).toBe(expected.length)
        expect(Buffer.from(Int16Array.from(got).buffer).equals(Buffer.from(expected.buffer))).toBe(true)
      })
      expect(floats).toBe(0)
      expect(got.some(v => v !== 0)).toBe(true)
    })
  }
})
