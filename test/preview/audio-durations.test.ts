import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { generatePreview } from '../../src/preview/index.js'
import { ffmpegDecodedSamples, ffprobe, tool } from './reference.js'
import { tempDir } from './helpers.js'

/**
 * Durations of files whose headers do not say it, against every sample ffmpeg decodes: MPEG-1 VBR
 * with no Xing/VBRI header (a bitrate-based estimate is wrong for it), and FLAC, Ogg Vorbis and
 * Opus written to a pipe (FLAC's STREAMINFO then counts 0 samples; Ogg has no header length).
 */
const { dir } = tempDir()
const at = (name: string): string => join(dir, name)
/** A tone that stops after 2 s and noise after it: VBR frames of very different sizes. */
const UNEVEN = ['-f', 'lavfi', '-i', 'aevalsrc=0.5*sin(330*2*PI*t)*lt(t\\,2)+0.05*random(0):d=5:s=44100']

function piped (file: string, args: string[]): void {
  tool('sh', ['-c', `ffmpeg -hide_banner -loglevel error ${UNEVEN.map(a => `'${a}'`).join(' ')} ${args.join(' ')} - > '${at(file)}'`])
}

describe('durations without a length in the header', () => {
  it('MPEG-1 Layer III VBR without a Xing header: every frame counted', async () => {
    tool('ffmpeg', ['-hide_banner', '-loglevel', 'error', ...UNEVEN, '-ac', '2', '-c:a', 'libmp3lame', '-q:a', '2', '-write_xing', '0', at('vbr.mp3')])
    expect(readFileSync(at('vbr.mp3')).includes(Buffer.from('Xing'))).toBe(false)
    const res = await generatePreview({ path: at('vbr.mp3'), kind: 'audio', format: 'mp3' })
    expect(res.info).toMatchObject({ codec: 'MPEG 1 Layer III', vbr: true, xingHeader: false, sampleRate: 44100 })
    const decoded = ffmpegDecodedSamples(at('vbr.mp3')) / 44100
    expect(Math.abs((res.info.durationSeconds as number) - decoded)).toBeLessThan(0.03)
    // the bitrate-based estimate ffprobe falls back on is what a header-only reader would say: it is off here
    expect(Math.abs(ffprobe(at('vbr.mp3')).duration - decoded)).toBeGreaterThan(Math.abs((res.info.durationSeconds as number) - decoded))
  })

  for (const [file, args, rate] of [['piped.flac', ['-c:a', 'flac', '-f', 'flac'], 44100], ['piped.ogg', ['-c:a', 'libvorbis', '-f', 'ogg'], 44100], ['piped.opus', ['-c:a', 'libopus', '-f', 'ogg'], 48000]] as const) {
    it(`${file} written to a pipe`, async () => {
      piped(file, [...args])
      if (file.endsWith('.flac')) {
        const b = readFileSync(at(file))
        expect(b.readUInt32BE(8 + 14)).toBe(0) // STREAMINFO's total samples left at 0
      }
      const res = await generatePreview({ path: at(file), kind: 'audio', format: file.split('.')[1] })
      expect(res.info.sampleRate).toBe(rate)
      const decoded = ffmpegDecodedSamples(at(file)) / ffprobe(at(file)).sampleRate
      expect(Math.abs((res.info.durationSeconds as number) - decoded)).toBeLessThan(0.03)
    })
  }
})
