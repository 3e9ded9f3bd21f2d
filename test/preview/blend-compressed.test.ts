import { spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { generatePreview } from '../../src/preview/index.js'
import { detectKind } from '../../src/repo/asset-kind.js'
import { gasError, rng, tempDir } from './helpers.js'

/**
 * Compressed .blend files, as Blender saves them with "Compress" on: gzip before 3.0, zstd since
 * (Blender's layout: independent frames, then a seek table in a skippable frame). Made here with
 * the gzip and zstd command-line tools from an uncompressed .blend, and counted the same.
 */
const { dir } = tempDir()
const at = (name: string): string => join(dir, name)

/** An uncompressed .blend (64-bit little-endian block headers) with `codes` blocks of `body` bytes each (half noise, half zeros, as mesh data compresses). */
function blend (codes: string[], body: number, noise = true): Buffer {
  const parts = [Buffer.from('BLENDER-v405', 'latin1')]
  const rand = rng(0xb1e4d)
  for (const code of [...codes, 'ENDB']) {
    const h = Buffer.alloc(24); h.write(code.padEnd(4, '\0'), 0, 'latin1'); h.writeUInt32LE(code === 'ENDB' ? 0 : body, 4)
    parts.push(h, code === 'ENDB' ? Buffer.alloc(0) : !noise ? Buffer.alloc(body) : Buffer.from(Uint8Array.from({ length: body }, (_, i) => i & 1 ? 0 : Math.floor(rand() * 256))))
  }
  return Buffer.concat(parts)
}

function run (cmd: string, args: string[], input?: Buffer): Buffer {
  const r = spawnSync(cmd, args, { input, maxBuffer: 1 << 28 })
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${String(r.stderr)}`)
  return r.stdout
}

/** Blender's zstd layout: the file cut in pieces, each its own frame, then the seek table (zstd seekable format). */
function seekableZstd (raw: Buffer, piece: number): Buffer {
  const frames: Buffer[] = []; const table: Buffer[] = []
  for (let o = 0; o < raw.length; o += piece) {
    const part = raw.subarray(o, o + piece)
    const f = run('zstd', ['-q', '-c', '-3', `--stream-size=${part.length}`], part)
    frames.push(f)
    const e = Buffer.alloc(8); e.writeUInt32LE(f.length, 0); e.writeUInt32LE(Math.min(piece, raw.length - o), 4); table.push(e)
  }
  const footer = Buffer.alloc(9); footer.writeUInt32LE(frames.length, 0); footer[4] = 0; footer.writeUInt32LE(0x8f92eab1, 5)
  const body = Buffer.concat([...table, footer])
  const skippable = Buffer.alloc(8); skippable.writeUInt32LE(0x184d2a5e, 0); skippable.writeUInt32LE(body.length, 4)
  return Buffer.concat([...frames, skippable, body])
}

const CODES = ['REND', 'TEST', 'GLOB', 'SC', 'OB', 'OB', 'OB', 'OB', 'ME', 'ME', 'MA', 'MA', 'MA', 'IM', 'CA', 'LA', 'DATA', 'DATA', 'DNA1']
const COUNTS = { blenderVersion: '4.05', pointerSize: 8, scenes: 1, objects: 4, meshes: 2, materials: 3, images: 1, cameras: 1, lights: 1 }

describe('compressed .blend', () => {
  const raw = blend(CODES, 200_000) // 3.8 MB: many gunzip chunks and zstd frames, blocks spanning them

  it('gzip (Blender 2.x): counted through the decompressed stream, as the plain file is', async () => {
    writeFileSync(at('plain.blend'), raw)
    const plain = await generatePreview({ path: at('plain.blend'), kind: 'model', format: 'blend' })
    expect(plain.info).toMatchObject({ ...COUNTS, blocks: CODES.length })
    writeFileSync(at('gz.blend'), run('gzip', ['-c', '-6'], raw))
    // gas add classes it by its extension, not as a gzip archive
    expect(detectKind('scenes/gz.blend', readFileSync(at('gz.blend')).subarray(0, 64))).toEqual({ kind: 'model', format: 'blend' })
    expect(detectKind('scenes/x.gz', readFileSync(at('gz.blend')).subarray(0, 64))).toEqual({ kind: 'archive', format: 'gz' })
    const res = await generatePreview({ path: at('gz.blend'), kind: 'model', format: 'blend' })
    expect(res.info).toEqual({ ...plain.info, compression: 'gzip' })
  })

  it('zstd as Blender 3+ writes it (frames and a seek table), and a single-frame zstd file', async () => {
    const seekable = seekableZstd(raw, 256 * 1024)
    writeFileSync(at('zst.blend'), seekable)
    // the zstd tool accepts the layout and gives back the plain file
    expect(run('zstd', ['-q', '-d', '-c', at('zst.blend')]).equals(raw)).toBe(true)
    const res = await generatePreview({ path: at('zst.blend'), kind: 'model', format: 'blend' })
    expect(res.info).toMatchObject({ ...COUNTS, blocks: CODES.length, compression: 'zstd' })
    writeFileSync(at('plain.blend'), raw)
    writeFileSync(at('one.blend'), run('zstd', ['-q', '-c', at('plain.blend')]))
    expect(detectKind('one.blend', readFileSync(at('one.blend')).subarray(0, 64))).toEqual({ kind: 'model', format: 'blend' })
    expect((await generatePreview({ path: at('one.blend'), kind: 'model', format: 'blend' })).info).toMatchObject({ ...COUNTS, compression: 'zstd' })
  })

  it('damaged compressed files are typed errors naming the file', async () => {
    const gz = run('gzip', ['-c'], raw)
    writeFileSync(at('cut-gz.blend'), gz.subarray(0, gz.length >> 1))
    expect((await gasError(generatePreview({ path: at('cut-gz.blend'), kind: 'model', format: 'blend' }), 'E_MALFORMED_ASSET')).message).toMatch(/cut-gz\.blend: (truncated|cannot decompress)/)
    const bad = Buffer.from(gz); bad.fill(0x55, 20, 60)
    writeFileSync(at('bad-gz.blend'), bad)
    await gasError(generatePreview({ path: at('bad-gz.blend'), kind: 'model', format: 'blend' }), 'E_MALFORMED_ASSET')
    const zs = seekableZstd(raw, 256 * 1024)
    writeFileSync(at('cut-zst.blend'), zs.subarray(0, zs.length >> 1))
    expect((await gasError(generatePreview({ path: at('cut-zst.blend'), kind: 'model', format: 'blend' }), 'E_MALFORMED_ASSET')).message).toMatch(/cut-zst\.blend: truncated/)
    writeFileSync(at('notblend.blend'), run('gzip', ['-c'], Buffer.from('hello, not a blend file')))
    expect((await gasError(generatePreview({ path: at('notblend.blend'), kind: 'model', format: 'blend' }), 'E_MALFORMED_ASSET')).message).toMatch(/missing "BLENDER" header after gzip decompression/)
    void readFileSync
  })

  it('a zstd frame too large to decode whole, or one that does not state its size, is E_NO_PREVIEW with the reason', async () => {
    writeFileSync(at('big-plain.blend'), blend(['SC', 'DATA'], 70 * 1024 * 1024, false))
    writeFileSync(at('big.blend'), run('zstd', ['-q', '-c', '-1', at('big-plain.blend')]))
    expect((await gasError(generatePreview({ path: at('big.blend'), kind: 'model', format: 'blend' }), 'E_NO_PREVIEW')).message).toMatch(/zstd-compressed \.blend with a \d+-byte frame/)
    writeFileSync(at('piped.blend'), run('zstd', ['-q', '-c'], raw)) // from a pipe: no content size in the frame
    expect((await gasError(generatePreview({ path: at('piped.blend'), kind: 'model', format: 'blend' }), 'E_NO_PREVIEW')).message).toMatch(/frames do not state their size/)
  })
})
