import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { makeAsciiFbx, makeGlb } from '../fixtures/models.js'
import { makeDds, makeTga } from '../fixtures/textures.js'
import { ffmpeg, tool } from './reference.js'
import { generatePreview } from '../../src/preview/index.js'
import { tempDir } from './helpers.js'
import { apply, damage, previewOrTypedError } from './fuzz-damage.js'

/**
 * Property-based fuzzing (fast-check) of every decoder added for real-world files: compressed audio
 * (MPEG frames, Ogg pages, FLAC), ADPCM / G.711 WAV, BC7 and signed-BC DDS, TGA alpha judging,
 * .blend blocks, Unity and Godot text, glTF normalisation and FBX retries. Each damaged copy
 * must give a preview or a GasError of the two preview codes — never a raw JavaScript error, a
 * crash or a hang. Fixed seeds keep a failure reproducible.
 */
const { dir } = tempDir()
const at = (name: string): string => join(dir, name)
const RUNS = 24

interface Seed { name: string, kind: string, format: string, bytes: Buffer }
const seeds: Seed[] = []

beforeAll(() => {
  const sine = ['-f', 'lavfi', '-i', 'sine=frequency=500:duration=0.4']
  for (const [name, args, format] of [['mp3', ['-c:a', 'libmp3lame', '-b:a', '32k'], 'mp3'], ['ogg', ['-c:a', 'libvorbis'], 'ogg'], ['opus', ['-c:a', 'libopus'], 'opus'], ['flac', ['-c:a', 'flac'], 'flac'], ['mp3-in-wav', ['-c:a', 'libmp3lame', '-b:a', '32k'], 'wav']] as const) {
    const file = at(`seed-${name}.${format}`)
    ffmpeg(...sine, ...args, file)
    seeds.push({ name, kind: 'audio', format, bytes: readFileSync(file) })
  }
  for (const [name, enc] of [['ima', 'ima-adpcm'], ['ms', 'ms-adpcm'], ['alaw', 'a-law']] as const) {
    const file = at(`seed-${name}.wav`)
    tool('sox', ['-n', '-r', '8000', '-c', '2', '-e', enc, file, 'synth', '0.3', 'sine', '300'])
    seeds.push({ name: `wav-${name}`, kind: 'audio', format: 'wav', bytes: readFileSync(file) })
  }
  // BC7 blocks of every mode: arbitrary bits are all valid BC7, so a fixed pattern covers the modes
  const bc7 = Uint8Array.from({ length: 64 * 16 }, (_, i) => i % 16 === 0 ? 1 << ((i >> 4) % 8) : (i * 37 + 11) & 255)
  seeds.push({ name: 'dds-bc7', kind: 'texture', format: 'dds', bytes: dx10(32, 32, 98, bc7) }, { name: 'dds-bc5s', kind: 'texture', format: 'dds', bytes: dx10(8, 8, 84, new Uint8Array(64).fill(0x81)) }, { name: 'dds-rgba', kind: 'texture', format: 'dds', bytes: Buffer.from(makeDds({ width: 8, height: 8, format: 'rgba' }).bytes) })
  seeds.push({ name: 'tga16', kind: 'texture', format: 'tga', bytes: makeTga({ width: 12, height: 10, alpha: true }) })
  seeds.push({ name: 'blend', kind: 'model', format: 'blend', bytes: Buffer.concat([Buffer.from('BLENDER-v402'), ...['OB', 'ME', 'ENDB'].map(c => { const h = Buffer.alloc(24); h.write(c, 0, 'latin1'); h.writeUInt32LE(c === 'ENDB' ? 0 : 4, 4); return c === 'ENDB' ? h : Buffer.concat([h, Buffer.alloc(4)]) })]) })
  seeds.push({ name: 'prefab', kind: 'engine', format: 'unity-prefab', bytes: Buffer.from('%YAML 1.1\n--- !u!1 &1\nGameObject:\n  m_Name: A\n--- !u!4 &2\nTransform:\n  m_Materials: {guid: 0123456789abcdef0123456789abcdef}\n') })
  seeds.push({ name: 'tscn', kind: 'engine', format: 'godot-scene', bytes: Buffer.from('[gd_scene format=3]\n[ext_resource path="res://a.png" id="1"]\n[node name="R" type="Node2D"]\n[connection signal="s" from="." to="." method="m"]\n') })
  seeds.push({ name: 'glb', kind: 'model', format: 'glb', bytes: makeGlb('cube').bytes })
  seeds.push({ name: 'fbx-camera', kind: 'model', format: 'fbx', bytes: Buffer.from(makeAsciiFbx('cube').text.replace(/^Objects:  \{\n/m, 'Objects:  {\n\tNodeAttribute: 9000, "NodeAttribute::Cam", "Camera" {\n\t\tTypeFlags: "Camera"\n\t}\n')) })
})

/** A DX10 DDS of one mip holding `blocks`. */
function dx10 (w: number, h: number, dxgi: number, blocks: Uint8Array): Buffer {
  const head = Buffer.alloc(148)
  head.write('DDS ', 0, 'latin1'); head.writeUInt32LE(124, 4); head.writeUInt32LE(0x1007, 8); head.writeUInt32LE(h, 12); head.writeUInt32LE(w, 16)
  head.writeUInt32LE(32, 76); head.writeUInt32LE(0x4, 80); head.write('DX10', 84, 'latin1'); head.writeUInt32LE(dxgi, 128); head.writeUInt32LE(3, 132); head.writeUInt32LE(1, 140)
  return Buffer.concat([head, blocks])
}

describe('fast-check: damaged real-world files give a preview or a typed error, never a raw error or a hang', () => {
  it('every seed previews cleanly before it is damaged', async () => {
    for (const s of seeds) await generatePreview({ path: (writeFileSync(at(`clean-${s.name}.${s.format}`), s.bytes), at(`clean-${s.name}.${s.format}`)), kind: s.kind, format: s.format, size: 64 })
    expect(seeds.length).toBeGreaterThan(15)
  })

  it('damaged copies of each seed', async () => {
    for (const [i, s] of seeds.entries()) {
      let n = 0
      await fc.assert(fc.asyncProperty(damage, async (ds) => {
        const path = at(`fuzz-${s.name}-${n++}.${s.format}`)
        writeFileSync(path, apply(s.bytes, ds))
        await previewOrTypedError(path, s.kind, s.format)
      }), { numRuns: RUNS, seed: 0x5eed + i, endOnFailure: true })
    }
  }, 300_000)

  it('arbitrary bytes under every new format', async () => {
    const formats: Array<[string, string]> = [['audio', 'mp3'], ['audio', 'ogg'], ['audio', 'opus'], ['audio', 'flac'], ['audio', 'wav'], ['texture', 'dds'], ['texture', 'tga'], ['model', 'blend'], ['engine', 'unity-prefab'], ['engine', 'godot-scene'], ['model', 'gltf']]
    let n = 0
    await fc.assert(fc.asyncProperty(fc.uint8Array({ minLength: 0, maxLength: 600 }), fc.constantFrom(...formats), async (bytes, [kind, format]) => {
      const path = at(`any-${n++}.${format}`)
      writeFileSync(path, bytes)
      await previewOrTypedError(path, kind, format)
    }), { numRuns: 150, seed: 0xa11 })
  }, 120_000)
})
