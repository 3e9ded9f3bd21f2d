import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { detectKind } from '../../src/repo/asset-kind.js'
import { generatePreview, type PreviewResult } from '../../src/preview/index.js'
import { WAVEFORM_WIDTH } from '../../src/preview/limits.js'
import { WAVEFORM_FOREGROUND } from '../../src/preview/waveform.js'
import { ffmpeg, ffmpegDecodedSamples, ffmpegPeakDb, ffprobe, soxStats, tool } from './reference.js'
import { gasError, rgbaOf, tempDir } from './helpers.js'

/**
 * Real-world audio variants made by ffmpeg and sox at test time, each previewed and checked against
 * the tool's own numbers: duration (ffprobe / decoded sample count), peak level (ffmpeg volumedetect,
 * sox stats), and a waveform and clip like WAV's.
 */
const { dir } = tempDir()
const at = (name: string): string => join(dir, name)

/** Columns of the waveform that have bars. */
async function barColumns (res: PreviewResult): Promise<number> {
  expect(res.image).not.toBeNull()
  const { data, width, height } = await rgbaOf(res.image!)
  let n = 0
  for (let x = 0; x < width; x++) {
    for (let y = 0; y < height; y++) {
      const p = (y * width + x) * 4
      if (data[p] === WAVEFORM_FOREGROUND[0] && data[p + 1] === WAVEFORM_FOREGROUND[1] && data[p + 2] === WAVEFORM_FOREGROUND[2]) { n++; break }
    }
  }
  return n
}

function expectClip (res: PreviewResult): void {
  expect(res.clip).not.toBeNull()
  const clip = Buffer.from(res.clip!.bytes)
  expect(clip.toString('latin1', 0, 4)).toBe('RIFF')
  // the tone is audible in the clip: 8-bit samples swing well away from silence (128)
  let swing = 0
  for (let i = 44; i < clip.length; i++) swing = Math.max(swing, Math.abs(clip[i] - 128))
  expect(swing).toBeGreaterThan(20)
}

const SINE = (seconds: number, rate = 44100): string[] => ['-f', 'lavfi', '-i', `sine=frequency=330:sample_rate=${rate}:duration=${seconds}`, '-af', 'volume=4']

describe('compressed audio from ffmpeg: duration, levels, waveform and clip against ffmpeg', () => {
  const cases: Array<{ name: string, file: string, args: string[], format: string, codec: RegExp, rate: number }> = [
    { name: 'MP3 CBR with tags', file: 'cbr.mp3', args: [...SINE(4), '-ac', '2', '-c:a', 'libmp3lame', '-b:a', '128k', '-metadata', 'title=Boss Theme', '-metadata', 'artist=Sound Team', '-metadata', 'TBPM=128'], format: 'mp3', codec: /MPEG 1 Layer III/, rate: 44100 },
    { name: 'MP3 VBR MPEG-2.5 without a Xing header', file: 'vbr25.mp3', args: [...SINE(3, 8000), '-ac', '1', '-c:a', 'libmp3lame', '-q:a', '6', '-write_xing', '0'], format: 'mp3', codec: /MPEG 2\.5 Layer III/, rate: 8000 },
    { name: 'Ogg Vorbis with loop points', file: 'loop.ogg', args: [...SINE(3), '-ac', '2', '-c:a', 'libvorbis', '-q:a', '4', '-metadata', 'LOOPSTART=44100', '-metadata', 'LOOPLENGTH=88200', '-metadata', 'title=Ambience'], format: 'ogg', codec: /Vorbis/, rate: 44100 },
    { name: 'Ogg Opus from a 22.05 kHz source', file: 'voice.opus', args: [...SINE(2.5, 22050), '-ac', '1', '-c:a', 'libopus', '-b:a', '48k'], format: 'opus', codec: /Opus/, rate: 48000 },
    { name: 'FLAC 24-bit', file: 'a.flac', args: [...SINE(2.5, 48000), '-ac', '2', '-sample_fmt', 's32', '-c:a', 'flac', '-metadata', 'artist=Foley'], format: 'flac', codec: /FLAC/, rate: 48000 },
    { name: 'MPEG layer III inside a WAV', file: 'mp3in.wav', args: [...SINE(2), '-ac', '1', '-c:a', 'libmp3lame', '-b:a', '64k'], format: 'wav', codec: /MPEG 1 Layer III/, rate: 44100 }
  ]
  for (const c of cases) {
    it(c.name, async () => {
      ffmpeg(...c.args, at(c.file))
      const res = await generatePreview({ path: at(c.file), kind: 'audio', format: c.format })
      const info = res.info as Record<string, any>
      expect(info.codec).toMatch(c.codec)
      expect(info.sampleRate).toBe(c.rate)
      expect(info.channels).toBe(ffprobe(at(c.file)).channels)
      // duration: every decoded sample as ffmpeg counts them, within one frame of encoder padding
      const decoded = ffmpegDecodedSamples(at(c.file)) / ffprobe(at(c.file)).sampleRate
      expect(Math.abs(info.durationSeconds - decoded)).toBeLessThan(0.075)
      expect(Math.abs(info.peakDb - ffmpegPeakDb(at(c.file)))).toBeLessThan(0.5)
      expect(await barColumns(res)).toBe(WAVEFORM_WIDTH)
      expectClip(res)
    })
  }

  it('tags become meta: title, artist, BPM, loop points', async () => {
    const mp3 = await generatePreview({ path: at('cbr.mp3'), kind: 'audio', format: 'mp3' })
    expect(mp3.meta).toMatchObject({ title: 'Boss Theme', artist: 'Sound Team', bpm: '128' })
    const ogg = await generatePreview({ path: at('loop.ogg'), kind: 'audio', format: 'ogg' })
    expect(ogg.meta).toMatchObject({ title: 'Ambience', 'loop.start': '44100', 'loop.length': '88200' })
    const opus = await generatePreview({ path: at('voice.opus'), kind: 'audio', format: 'opus' })
    // Opus decodes at 48 kHz whatever it was fed; ffmpeg fed libopus 24 kHz (its nearest rate to 22.05)
    expect(opus.info).toMatchObject({ sampleRate: 48000, inputSampleRate: 24000 })
  })

  it('a FLAC with an ID3 tag in front is FLAC, both when added and when previewed', async () => {
    const flac = readFileSync(at('a.flac'))
    const frame = Buffer.concat([Buffer.from('TIT2'), Buffer.from([0, 0, 0, 6, 0, 0, 0]), Buffer.from('Steps')])
    const id3 = Buffer.concat([Buffer.from('ID3'), Buffer.from([3, 0, 0, 0, 0, 0, frame.length]), frame])
    writeFileSync(at('tagged.flac'), Buffer.concat([id3, flac]))
    expect(detectKind('tagged.flac', Buffer.concat([id3, flac]).subarray(0, 4096))).toEqual({ kind: 'audio', format: 'flac' })
    const res = await generatePreview({ path: at('tagged.flac'), kind: 'audio', format: 'mp3' })
    expect(res.info).toMatchObject({ container: 'FLAC', codec: 'FLAC', sampleRate: 48000 })
    expect(Math.abs((res.info.durationSeconds as number) - 2.5)).toBeLessThan(0.001)
  })

  it('a long MP3 and Ogg are sampled across the whole track: every column drawn, levels and length right', async () => {
    // ffmpeg's Ogg muxer writes a page a second unless told: 0.2 s pages (as other encoders write) make it sampled too
    for (const [file, codec] of [['long.mp3', ['-ac', '1', '-c:a', 'libmp3lame', '-b:a', '64k']], ['long.ogg', ['-ac', '2', '-c:a', 'libvorbis', '-q:a', '6', '-page_duration', '200000']]] as const) {
      ffmpeg(...SINE(150, 22050), ...codec, at(file))
      const res = await generatePreview({ path: at(file), kind: 'audio', format: file.slice(-3) })
      const info = res.info as Record<string, number>
      expect(info.levelsSampled).toBeGreaterThan(0.1)
      expect(info.levelsSampled).toBeLessThan(0.6)
      expect(Math.abs(info.durationSeconds - ffmpegDecodedSamples(at(file)) / 22050)).toBeLessThan(0.075)
      expect(Math.abs(info.peakDb - ffmpegPeakDb(at(file)))).toBeLessThan(0.5)
      expect(await barColumns(res)).toBe(WAVEFORM_WIDTH)
      expectClip(res)
    }
  })

  it('damaged compressed audio is a typed error naming the file', async () => {
    const mp3 = readFileSync(at('cbr.mp3'))
    writeFileSync(at('cut.ogg'), readFileSync(at('loop.ogg')).subarray(0, 200))
    expect((await gasError(generatePreview({ path: at('cut.ogg'), kind: 'audio', format: 'ogg' }), 'E_MALFORMED_ASSET')).message).toContain('cut.ogg')
    writeFileSync(at('junk.mp3'), Buffer.concat([mp3.subarray(0, 10), Buffer.alloc(5000, 0x11)]))
    expect((await gasError(generatePreview({ path: at('junk.mp3'), kind: 'audio', format: 'mp3' }), 'E_MALFORMED_ASSET')).message).toMatch(/junk\.mp3.*no MPEG audio frames/)
    const speex = Buffer.from(readFileSync(at('loop.ogg'))); speex.write('Speex   ', 28, 'latin1')
    writeFileSync(at('speex.ogg'), speex)
    expect((await gasError(generatePreview({ path: at('speex.ogg'), kind: 'audio', format: 'ogg' }), 'E_NO_PREVIEW')).message).toMatch(/Ogg codec: Speex \(supported: Vorbis, Opus\)/)
  })
})

describe('WAV variants from sox and ffmpeg, against sox stats', () => {
  const variants: Array<{ name: string, encoding: string, args: string[] }> = [
    { name: 'A-law stereo', encoding: 'alaw', args: ['-c', '2', '-e', 'a-law'] },
    { name: 'µ-law mono', encoding: 'mulaw', args: ['-c', '1', '-e', 'u-law'] },
    { name: 'IMA ADPCM stereo', encoding: 'ima-adpcm', args: ['-c', '2', '-e', 'ima-adpcm'] },
    { name: 'MS ADPCM mono', encoding: 'ms-adpcm', args: ['-c', '1', '-e', 'ms-adpcm'] }
  ]
  for (const v of variants) {
    it(v.name, async () => {
      const file = at(`${v.encoding}.wav`)
      tool('sox', ['-n', '-r', '22050', ...v.args, file, 'synth', '1.5', 'sine', '300', 'vol', '0.5'])
      const ref = soxStats(file)
      const res = await generatePreview({ path: file, kind: 'audio', format: 'wav' })
      expect(res.info).toMatchObject({ encoding: v.encoding, sampleRate: 22050 })
      // within one ADPCM block (sox counts a last partial block's frames; without a "fact" chunk we count whole blocks)
      expect(Math.abs((res.info.durationSeconds as number) - ref.seconds)).toBeLessThan(0.05)
      expect(Math.abs((res.info.peakDb as number) - ref.peakDb)).toBeLessThan(0.3)
      expect(await barColumns(res)).toBe(WAVEFORM_WIDTH)
      expectClip(res)
    })
  }

  it('a data chunk of unknown size (0xFFFFFFFF from a pipe, or 0) runs to the end of the file', async () => {
    const piped = tool('sh', ['-c', `ffmpeg -hide_banner -loglevel error -f lavfi -i sine=frequency=440:duration=2 -af volume=4 -f wav - > ${at('piped.wav')}`])
    void piped
    const bytes = readFileSync(at('piped.wav'))
    expect(bytes.readUInt32LE(4)).toBe(0xffffffff)
    const res = await generatePreview({ path: at('piped.wav'), kind: 'audio', format: 'wav' })
    expect(res.info.durationSeconds).toBeCloseTo(2, 3)
    const zero = Buffer.from(bytes)
    const data = zero.indexOf('data', 12, 'latin1')
    zero.writeUInt32LE(0, data + 4)
    writeFileSync(at('zero.wav'), zero)
    const z = await generatePreview({ path: at('zero.wav'), kind: 'audio', format: 'wav' })
    expect(z.info.durationSeconds).toBeCloseTo(2, 3)
    expect(Math.abs((z.info.peakDb as number) - ffmpegPeakDb(at('piped.wav')))).toBeLessThan(0.1)
  })
})
