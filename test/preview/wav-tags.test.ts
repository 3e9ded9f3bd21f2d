import { spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { generatePreview } from '../../src/preview/index.js'
import { tempDir } from './helpers.js'

/**
 * A WAV's tags are looked for (music-metadata) only when it has a chunk that can hold them; a
 * plain fmt + data file skips that. Tags after the data chunk (where many editors append LIST
 * INFO) must still be found.
 */
const { dir } = tempDir()
const at = (name: string): string => join(dir, name)

function ffmpeg (...args: string[]): void {
  const r = spawnSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args])
  expect(r.status, String(r.stderr)).toBe(0)
}

/** A LIST/INFO chunk with INAM (title) and IART (artist), as RIFF writers lay it out. */
function infoChunk (title: string, artist: string): Buffer {
  const sub = (id: string, text: string): Buffer => {
    const body = Buffer.from(`${text}\0`, 'latin1')
    const head = Buffer.alloc(8); head.write(id, 0, 'latin1'); head.writeUInt32LE(body.length, 4)
    return Buffer.concat([head, body, Buffer.alloc(body.length & 1)])
  }
  const body = Buffer.concat([Buffer.from('INFO', 'latin1'), sub('INAM', title), sub('IART', artist)])
  const head = Buffer.alloc(8); head.write('LIST', 0, 'latin1'); head.writeUInt32LE(body.length, 4)
  return Buffer.concat([head, body])
}

describe('WAV tags', () => {
  it('LIST INFO after the data chunk is read (ffprobe agrees); a plain fmt + data WAV has none', async () => {
    ffmpeg('-f', 'lavfi', '-i', 'sine=frequency=440:duration=1', '-c:a', 'pcm_s16le', '-fflags', '+bitexact', '-map_metadata', '-1', at('plain.wav'))
    const plain = readFileSync(at('plain.wav'))
    const tagged = Buffer.concat([plain, infoChunk('Bell Toll', 'Foley Crew')])
    tagged.writeUInt32LE(tagged.length - 8, 4)
    writeFileSync(at('tail.wav'), tagged)
    const probe = spawnSync('ffprobe', ['-v', 'error', '-show_entries', 'format_tags', '-of', 'json', at('tail.wav')], { encoding: 'utf8' })
    expect(JSON.parse(probe.stdout).format.tags).toMatchObject({ title: 'Bell Toll', artist: 'Foley Crew' })
    const res = await generatePreview({ path: at('tail.wav'), kind: 'audio', format: 'wav' })
    expect(res.meta).toMatchObject({ title: 'Bell Toll', artist: 'Foley Crew' })
    expect(res.info).toMatchObject({ title: 'Bell Toll', artist: 'Foley Crew', channels: 1 })
    const bare = await generatePreview({ path: at('plain.wav'), kind: 'audio', format: 'wav' })
    expect(bare.meta ?? {}).toEqual({})
    expect(bare.info).toMatchObject({ durationSeconds: 1, channels: 1, sampleRate: 44100 })
  })
})
