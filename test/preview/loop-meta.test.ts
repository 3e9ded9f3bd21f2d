import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { generatePreview } from '../../src/preview/index.js'
import { ffmpeg, soxStats, tool } from './reference.js'
import { tempDir } from './helpers.js'

/**
 * Loop points and tempo as game audio tools store them: a WAV's `smpl` (sampler loops) and `acid`
 * (tempo) chunks, often after the sample data, and ID3 user frames (TXXX:LOOPSTART) in an MP3.
 */
const { dir } = tempDir()
const at = (name: string): string => join(dir, name)

function chunk (id: string, body: Buffer): Buffer {
  const head = Buffer.alloc(8); head.write(id, 0, 'latin1'); head.writeUInt32LE(body.length, 4)
  return Buffer.concat([head, body, Buffer.alloc(body.length & 1)])
}

/** A `smpl` chunk with the given loops ([start, end] sample frames) and MIDI unity note; `declared` may lie about the count. */
function smpl (loops: Array<[number, number]>, unityNote: number, declared = loops.length): Buffer {
  const b = Buffer.alloc(36 + 24 * loops.length)
  b.writeUInt32LE(Math.round(1e9 / 22050), 8); b.writeUInt32LE(unityNote, 12); b.writeUInt32LE(declared, 28)
  loops.forEach(([start, end], i) => { b.writeUInt32LE(i, 36 + 24 * i); b.writeUInt32LE(start, 36 + 24 * i + 8); b.writeUInt32LE(end, 36 + 24 * i + 12) })
  return chunk('smpl', b)
}

function acid (bpm: number): Buffer {
  const b = Buffer.alloc(24); b.writeUInt32LE(0x2, 0); b.writeUInt16LE(60, 4); b.writeUInt32LE(8, 12); b.writeUInt16LE(4, 16); b.writeUInt16LE(4, 18); b.writeFloatLE(bpm, 20)
  return chunk('acid', b)
}

/** sox's WAV with chunks appended after its data chunk (as Sound Forge and Wavosaur place them), RIFF size fixed. */
function withChunks (wav: Buffer, ...chunks: Buffer[]): Buffer {
  const out = Buffer.concat([wav, ...chunks])
  out.writeUInt32LE(out.length - 8, 4)
  return out
}

describe('loop points and tempo as meta tags', () => {
  it('a WAV\'s smpl and acid chunks after the data: loop start/end, root note, BPM; the audio reads as sox reads it', async () => {
    tool('sox', ['-n', '-r', '22050', '-c', '1', '-b', '16', at('plain.wav'), 'synth', '2', 'sine', '220', 'vol', '0.5'])
    writeFileSync(at('loop.wav'), withChunks(readFileSync(at('plain.wav')), smpl([[11025, 33074], [0, 100]], 57), acid(128)))
    // sox still reads the file as before: the chunks are where RIFF readers skip them
    const ref = soxStats(at('loop.wav'))
    const res = await generatePreview({ path: at('loop.wav'), kind: 'audio', format: 'wav' })
    expect(res.meta).toMatchObject({ 'loop.start': '11025', 'loop.end': '33074', loops: '2', rootNote: '57', bpm: '128' })
    expect(res.info.durationSeconds).toBeCloseTo(ref.seconds, 3)
    expect(Math.abs((res.info.peakDb as number) - ref.peakDb)).toBeLessThan(0.1)
  })

  it('RIFF INFO tags win over the chunks; a smpl chunk that lies about its loop count gives no loop, never an error', async () => {
    ffmpeg('-f', 'lavfi', '-i', 'sine=frequency=330:duration=1', '-c:a', 'pcm_s16le', '-metadata', 'title=Rain', at('info.wav'))
    const lying = smpl([], 0, 9)
    writeFileSync(at('lying.wav'), withChunks(readFileSync(at('info.wav')), lying, acid(Number.NaN)))
    const res = await generatePreview({ path: at('lying.wav'), kind: 'audio', format: 'wav' })
    expect(res.meta?.title).toBe('Rain')
    expect(Object.keys(res.meta ?? {}).filter(k => k.startsWith('loop') || k === 'bpm' || k === 'rootNote')).toEqual([])
    // a chunk list cut short (the last chunk runs past the end) costs the tags, not the preview
    const cut = withChunks(readFileSync(at('info.wav')), smpl([[1, 2]], 60))
    writeFileSync(at('cut.wav'), cut.subarray(0, cut.length - 10))
    expect((await generatePreview({ path: at('cut.wav'), kind: 'audio', format: 'wav' })).info.durationSeconds).toBeCloseTo(1, 3)
  })

  it('an MP3\'s ID3 TXXX loop frames and TBPM, as ffprobe reads them', async () => {
    ffmpeg('-f', 'lavfi', '-i', 'sine=frequency=330:duration=1', '-c:a', 'libmp3lame', '-metadata', 'LOOPSTART=4410', '-metadata', 'LOOPEND=39690', '-metadata', 'TBPM=90', at('loop.mp3'))
    const probed = JSON.parse(tool('ffprobe', ['-v', 'error', '-show_entries', 'format_tags', '-of', 'json', at('loop.mp3')])) as { format: { tags: Record<string, string> } }
    expect(probed.format.tags).toMatchObject({ LOOPSTART: '4410', LOOPEND: '39690' })
    const res = await generatePreview({ path: at('loop.mp3'), kind: 'audio', format: 'mp3' })
    expect(res.meta).toMatchObject({ 'loop.start': probed.format.tags.LOOPSTART, 'loop.end': probed.format.tags.LOOPEND, bpm: '90' })
  })
})
