import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, describe, expect, it } from 'vitest'
import { gasInProcess, gasSync } from '../helpers/cli.js'
import { ffmpeg } from './reference.js'

/**
 * Previews as a user meets them through `gas`: real processes (previews generated in the worker
 * pool beside chunking), embedded metadata as `meta.*` tags found with `gas find --tag`, a tag a
 * person set left alone, an unsupported variant's reason shown by `gas preview`, and `--out`
 * writing the format its extension names.
 */
const dir = mkdtempSync(join(tmpdir(), 'gas-cli-preview-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const at = (name: string): string => join(dir, name)

function ddsHalfFloat (): Buffer {
  const h = Buffer.alloc(148)
  h.write('DDS ', 0, 'latin1'); h.writeUInt32LE(124, 4); h.writeUInt32LE(0x1007, 8); h.writeUInt32LE(4, 12); h.writeUInt32LE(4, 16)
  h.writeUInt32LE(32, 76); h.writeUInt32LE(0x4, 80); h.write('DX10', 84, 'latin1')
  h.writeUInt32LE(10, 128); h.writeUInt32LE(3, 132); h.writeUInt32LE(1, 140)
  return Buffer.concat([h, Buffer.alloc(4 * 4 * 8)])
}

describe('gas add / find / preview with real files', () => {
  it('gas add previews in workers, tags embedded metadata, and prints no three.js noise', async () => {
    expect(gasSync(dir, ['init', '--name', 'ana']).status).toBe(0)
    ffmpeg('-f', 'lavfi', '-i', 'sine=frequency=440:duration=2', '-c:a', 'libmp3lame', '-b:a', '96k', '-metadata', 'title=Boss Theme', '-metadata', 'artist=Sound Team', at('boss.mp3'))
    ffmpeg('-f', 'lavfi', '-i', 'sine=frequency=220:duration=2', '-c:a', 'libvorbis', '-metadata', 'title=Mine Now', at('mine.ogg'))
    await sharp({ create: { width: 64, height: 48, channels: 3, background: '#336699' } }).withExif({ IFD0: { Artist: 'Ada Lovelace', Software: 'Krita 5.2' } }).jpeg().toFile(at('photo.jpg'))
    writeFileSync(at('sky.dds'), ddsHalfFloat())
    writeFileSync(at('Door.prefab'), '%YAML 1.1\n%TAG !u! tag:unity3d.com,2011:\n--- !u!1 &1\nGameObject:\n  m_Name: Door\n--- !u!4 &2\nTransform:\n  m_GameObject: {fileID: 1}\n')
    const added = gasSync(dir, ['add', 'boss.mp3', 'photo.jpg', 'sky.dds', 'Door.prefab', '--json'])
    expect(added.status, added.stderr).toBe(0)
    expect(added.stdout + added.stderr).not.toMatch(/THREE\./)
    // a person's tag under meta. is theirs: the file's own title does not replace it
    const mine = gasSync(dir, ['add', 'mine.ogg', '--tag', 'meta.title=Composer Cut'])
    expect(mine.status, mine.stderr).toBe(0)
    expect(gasSync(dir, ['commit', '-m', 'assets']).status).toBe(0)

    const byArtist = JSON.parse(gasSync(dir, ['find', '--tag', 'meta.artist=Sound Team', '--json']).stdout) as { assets: Array<{ path: string }> }
    expect(byArtist.assets.map(a => a.path)).toEqual(['boss.mp3'])
    const byAuthor = JSON.parse(gasSync(dir, ['find', '--tag', 'meta.author=Ada Lovelace', '--json']).stdout) as { assets: Array<{ path: string }> }
    expect(byAuthor.assets.map(a => a.path)).toEqual(['photo.jpg'])
    const kept = JSON.parse(gasSync(dir, ['find', '--tag', 'meta.title=Composer Cut', '--json']).stdout) as { assets: Array<{ path: string }> }
    expect(kept.assets.map(a => a.path)).toEqual(['mine.ogg'])
    expect(JSON.parse(gasSync(dir, ['find', '--tag', 'meta.title=Mine Now', '--json']).stdout).assets).toEqual([])
  })

  it('gas preview shows an unsupported variant\'s reason, stored for every peer', () => {
    const r = gasSync(dir, ['preview', 'sky.dds'])
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(/^gas: E_NO_PREVIEW: sky\.dds: no preview for this DDS format: rgba16f \(supported: /m)
    const prefab = JSON.parse(gasSync(dir, ['preview', 'Door.prefab', '--json']).stdout) as { info: Record<string, unknown> }
    expect(prefab.info).toMatchObject({ engine: 'unity', gameObjects: 1, components: 1 })
  })

  it('--out writes the format its extension names, and the JSON says which', async () => {
    for (const [out, format, magic] of [['wave.webp', 'webp', 'WEBP'], ['wave.png', 'png', 'PNG'], ['thumb.jpg', 'jpeg', '\xff\xd8']] as const) {
      const r = await gasInProcess(dir, ['preview', out === 'thumb.jpg' ? 'photo.jpg' : 'boss.mp3', '--out', out, '--json'])
      expect(r.status, r.stderr).toBe(0)
      const shown = JSON.parse(r.stdout) as { image: string, imageFormat: string, clip: string | null }
      expect(shown.imageFormat).toBe(format)
      expect((await sharp(readFileSync(at(out))).metadata()).format).toBe(format)
      expect(readFileSync(at(out)).subarray(0, 12).toString('latin1')).toContain(magic)
      if (out !== 'thumb.jpg') expect(readFileSync(shown.clip!).subarray(0, 4).toString('latin1')).toBe('RIFF')
    }
    const human = await gasInProcess(dir, ['preview', 'boss.mp3'])
    expect(human.stdout).toMatch(/image: .*\(png\)/)
  })
})
