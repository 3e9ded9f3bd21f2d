import { describe, expect, it } from 'vitest'
import { detectKind, extensionOf } from '../../src/repo/asset-kind.js'
import { makeFlac, makeMp3, makeOggOpus, makeWav } from '../fixtures/audio.js'
import { makeAsciiFbx, makeBinaryFbx, makeGlb, makeObj } from '../fixtures/models.js'
import { makeDds, makeJpeg, makePng, makePsd, makeTga, makeWebp, makeTiff } from '../fixtures/textures.js'

const head = (b: Buffer | string): Buffer => (typeof b === 'string' ? Buffer.from(b) : b).subarray(0, 4096)

describe('asset kind and format detection', () => {
  it('recognises real files of every listed format by their bytes', async () => {
    const t = { width: 16, height: 16 }
    const cases: Array<[string, Buffer | string, string, string]> = [
      ['a.png', await makePng(t), 'texture', 'png'],
      ['a.jpg', await makeJpeg(t), 'texture', 'jpeg'],
      ['a.webp', await makeWebp(t), 'texture', 'webp'],
      ['a.tif', await makeTiff(t), 'texture', 'tiff'],
      ['a.tga', makeTga(t), 'texture', 'tga'],
      ['a.dds', makeDds({ ...t, format: 'bc1' }).bytes, 'texture', 'dds'],
      ['a.psd', makePsd(t), 'texture', 'psd'],
      ['a.exr', Buffer.from([0x76, 0x2f, 0x31, 0x01, 2, 0, 0, 0]), 'texture', 'exr'],
      ['a.obj', makeObj('cube').text, 'model', 'obj'],
      ['a.fbx', makeAsciiFbx('cube').text, 'model', 'fbx'],
      ['b.fbx', makeBinaryFbx('cube').bytes, 'model', 'fbx'],
      ['a.glb', makeGlb('cube').bytes, 'model', 'glb'],
      ['a.gltf', '{"asset":{"version":"2.0"}}', 'model', 'gltf'],
      ['a.wav', makeWav({ seconds: 0.01, sampleRate: 8000, channels: 1, bitDepth: 16 }).bytes, 'audio', 'wav'],
      ['a.ogg', makeOggOpus({ seconds: 0.1, channels: 1 }).bytes, 'audio', 'ogg'],
      ['a.mp3', makeMp3({ frames: 3 }).bytes, 'audio', 'mp3'],
      ['a.flac', makeFlac({ seconds: 0.01, sampleRate: 8000, channels: 1, bitDepth: 16 }).bytes, 'audio', 'flac'],
      ['a.zip', Buffer.from([0x50, 0x4b, 0x03, 0x04, 0, 0]), 'archive', 'zip'],
      ['a.7z', Buffer.from([0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c, 0, 4]), 'archive', '7z'],
      ['Player.cs', 'public class Player {}', 'code', 'csharp'],
      ['main.cpp', 'int main() {}', 'code', 'cpp'],
      ['ai.lua', 'return {}', 'code', 'lua'],
      ['Level1.unity', '%YAML 1.1\n%TAG !u! tag:unity3d.com,2011:\n--- !u!29 &1\n', 'engine', 'unity-scene'],
      ['Rock.prefab', '%YAML 1.1\n%TAG !u! tag:unity3d.com,2011:\n--- !u!1 &1\n', 'engine', 'unity-prefab'],
      ['rock.png.meta', 'fileFormatVersion: 2\nguid: abc\n', 'engine', 'unity-meta'],
      ['Rock.uasset', Buffer.from([0xc1, 0x83, 0x2a, 0x9e, 0, 0]), 'engine', 'unreal-asset'],
      ['Map.umap', Buffer.from([0xc1, 0x83, 0x2a, 0x9e, 0, 0]), 'engine', 'unreal-asset'],
      ['level.tscn', '[gd_scene load_steps=2 format=3]\n', 'engine', 'godot-scene'],
      ['mat.tres', '[gd_resource type="Material" format=3]\n', 'engine', 'godot-resource'],
      ['icon.png.import', '[remap]\nimporter="texture"\n', 'engine', 'godot-import'],
      ['README', 'hello', 'other', 'unknown']
    ]
    for (const [path, bytes, kind, format] of cases) expect([path, detectKind(path, head(bytes))]).toEqual([path, { kind, format }])
  })

  it('trusts bytes over a wrong extension, and keeps the extension\'s kind for damaged files', async () => {
    expect(detectKind('texture.tga', await makePng({ width: 8, height: 8 }))).toEqual({ kind: 'texture', format: 'png' })
    expect(detectKind('sound.bin', makeWav({ seconds: 0.01, sampleRate: 8000, channels: 1, bitDepth: 8 }).bytes)).toEqual({ kind: 'audio', format: 'wav' })
    expect(detectKind('broken.tga', Buffer.alloc(5))).toEqual({ kind: 'texture', format: 'tga' })
    expect(detectKind('x.fbx', Buffer.from('not fbx'))).toEqual({ kind: 'model', format: 'fbx' })
    expect(extensionOf('dir.v2/file')).toBe('')
    expect(extensionOf('.hidden')).toBe('')
    expect(extensionOf('A.PNG')).toBe('png')
  })
})
