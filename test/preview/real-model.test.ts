import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { generatePreview } from '../../src/preview/index.js'
import { makeAsciiFbx, makeGlb } from '../fixtures/models.js'
import { gasError, tempDir } from './helpers.js'

/** Real-world model and engine-file variants: what exporters and editors actually write. */
const { dir } = tempDir()
const at = (name: string): string => join(dir, name)

/** Adds text inside a top-level FBX section ("Objects", "Connections", …) of an ASCII FBX. */
function inject (text: string, section: string, lines: string): string {
  return text.replace(new RegExp(`^${section}:  \\{\\n`, 'm'), (m) => `${m}${lines}\n`)
}

describe('FBX as exporters write it', () => {
  it('a camera without an aspect ratio previews (three reads window.innerWidth; a stand-in is given and removed)', async () => {
    let text = makeAsciiFbx('cube').text
    text = inject(text, 'Objects', '\tNodeAttribute: 9000, "NodeAttribute::Cam", "Camera" {\n\t\tTypeFlags: "Camera"\n\t}\n\tModel: 9001, "Model::Cam", "Camera" {\n\t\tVersion: 232\n\t}')
    text = inject(text, 'Connections', '\tC: "OO", 9001, 0\n\tC: "OO", 9000, 9001')
    writeFileSync(at('camera.fbx'), text)
    const res = await generatePreview({ path: at('camera.fbx'), kind: 'model', format: 'fbx' })
    expect(res.info).toMatchObject({ triangles: 12 })
    expect(res.image).not.toBeNull()
    expect((globalThis as { window?: unknown }).window).toBeUndefined()
  })

  it('vertex colours in a layout three cannot read are skipped, and the preview says so', async () => {
    let text = makeAsciiFbx('cube').text
    // IndexToDirect with no ColorIndex array (older exporters): three reads undefined.a
    text = text.replace(/(\tGeometry: 1000, "Geometry::shape", "Mesh" \{\n)/, '$1\t\tLayerElementColor: 0 {\n\t\t\tMappingInformationType: "ByPolygonVertex"\n\t\t\tReferenceInformationType: "IndexToDirect"\n\t\t\tColors: *8 {\n\t\t\t\ta: 1,0,0,1,0,1,0,1\n\t\t\t}\n\t\t}\n')
    text = text.replace(/(\t\tLayer: 0 \{\n)/, '$1\t\t\tLayerElement:  {\n\t\t\t\tType: "LayerElementColor"\n\t\t\t\tTypedIndex: 0\n\t\t\t}\n')
    writeFileSync(at('colours.fbx'), text)
    const res = await generatePreview({ path: at('colours.fbx'), kind: 'model', format: 'fbx' })
    expect(res.info).toMatchObject({ triangles: 12 })
    expect(res.info.ignored).toEqual(['vertex colours (a layout three cannot read)'])
  })

  it('creator and units become meta tags', async () => {
    let text = makeAsciiFbx('cube').text
    text = inject(text, 'FBXHeaderExtension', '\tCreator: "Blender (stable FBX IO) - 4.1.0"')
    text = inject(text, 'GlobalSettings', '\tProperties70:  {\n\t\tP: "UnitScaleFactor", "double", "Number", "",100\n\t}')
    writeFileSync(at('meta.fbx'), text)
    const res = await generatePreview({ path: at('meta.fbx'), kind: 'model', format: 'fbx' })
    expect(res.meta).toEqual({ creator: 'Blender (stable FBX IO) - 4.1.0', unitScale: '100', units: 'm' })
  })
})

describe('glTF as exporters write it', () => {
  const cube = (): Record<string, any> => JSON.parse(Buffer.from(makeGlb('cube').bytes.subarray(20, 20 + makeGlb('cube').bytes.readUInt32LE(12))).toString('utf8').trimEnd())

  it('glTF 1.0 is E_NO_PREVIEW (unsupported), not malformed', async () => {
    writeFileSync(at('v1.gltf'), JSON.stringify({ asset: { version: '1.0' }, scene: 'defaultScene', scenes: { defaultScene: { nodes: [] } } }))
    expect((await gasError(generatePreview({ path: at('v1.gltf'), kind: 'model', format: 'gltf' }), 'E_NO_PREVIEW')).message).toMatch(/glTF 1\.0 \(supported: glTF 2\.0\)/)
    writeFileSync(at('v1-noasset.gltf'), JSON.stringify({ scene: 'defaultScene', scenes: { defaultScene: { nodes: [] } } }))
    await gasError(generatePreview({ path: at('v1-noasset.gltf'), kind: 'model', format: 'gltf' }), 'E_NO_PREVIEW')
  })

  /** A GLB of the cube with its JSON changed by `edit`. */
  function editedGlb (edit: (json: Record<string, any>) => void): Buffer {
    const glb = makeGlb('cube').bytes
    const jsonLength = glb.readUInt32LE(12)
    const json = JSON.parse(glb.subarray(20, 20 + jsonLength).toString('utf8'))
    edit(json)
    let text = Buffer.from(JSON.stringify(json))
    text = Buffer.concat([text, Buffer.alloc((4 - text.length % 4) % 4, 0x20)])
    const rest = glb.subarray(20 + jsonLength)
    const head = Buffer.alloc(20)
    head.write('glTF', 0, 'latin1'); head.writeUInt32LE(2, 4); head.writeUInt32LE(20 + text.length + rest.length, 8)
    head.writeUInt32LE(text.length, 12); head.writeUInt32LE(0x4e4f534a, 16)
    return Buffer.concat([head, text, rest])
  }

  it('a file with nodes but no scene previews every root node', async () => {
    writeFileSync(at('noscene.glb'), editedGlb(j => { delete j.scenes; delete j.scene }))
    const res = await generatePreview({ path: at('noscene.glb'), kind: 'model', format: 'glb' })
    expect(res.info).toMatchObject({ triangles: 12 })
    expect(res.image).not.toBeNull()
  })

  it('names that are not strings are dropped instead of leaking a TypeError', async () => {
    writeFileSync(at('badname.glb'), editedGlb(j => { j.nodes[0].name = 42; j.meshes[0].name = { x: 1 }; if (j.materials !== undefined) j.materials[0].name = ['m'] }))
    const res = await generatePreview({ path: at('badname.glb'), kind: 'model', format: 'glb' })
    expect(res.info).toMatchObject({ triangles: 12 })
  })

  it('a degenerate scene (all triangles flat) reports it and has no image', async () => {
    const flat = (): Buffer => {
      const pos = new Float32Array([0, 0, 0, 1, 0, 0, 2, 0, 0])
      const bin = Buffer.from(pos.buffer)
      const json = { asset: { version: '2.0' }, buffers: [{ byteLength: bin.length, uri: `data:application/octet-stream;base64,${bin.toString('base64')}` }], bufferViews: [{ buffer: 0, byteLength: bin.length }], accessors: [{ bufferView: 0, componentType: 5126, count: 3, type: 'VEC3', min: [0, 0, 0], max: [2, 0, 0] }], meshes: [{ primitives: [{ attributes: { POSITION: 0 } }] }], nodes: [{ mesh: 0 }], scenes: [{ nodes: [0] }], scene: 0 }
      return Buffer.from(JSON.stringify(json))
    }
    writeFileSync(at('flat.gltf'), flat())
    const res = await generatePreview({ path: at('flat.gltf'), kind: 'model', format: 'gltf' })
    expect(res.info).toMatchObject({ triangles: 1, degenerate: true })
    expect(res.image).toBeNull()
  })

  it('asset.generator, copyright and extras become meta tags', async () => {
    writeFileSync(at('meta.glb'), editedGlb(j => { j.asset.generator = 'Khronos glTF Blender I/O v4.1'; j.asset.copyright = '2026 Studio North'; j.asset.extras = { author: 'Ada', lod: 2 } }))
    const res = await generatePreview({ path: at('meta.glb'), kind: 'model', format: 'glb' })
    expect(res.meta).toEqual({ generator: 'Khronos glTF Blender I/O v4.1', copyright: '2026 Studio North', 'extras.author': 'Ada', 'extras.lod': '2' })
    void cube
  })
})

describe('Blender and engine files', () => {
  /** A minimal uncompressed .blend: 12-byte header and 64-bit little-endian block headers. */
  function blend (codes: string[]): Buffer {
    const parts = [Buffer.from('BLENDER-v402', 'latin1')]
    for (const code of [...codes, 'ENDB']) {
      const h = Buffer.alloc(24); h.write(code.padEnd(4, '\0'), 0, 'latin1'); h.writeUInt32LE(code === 'ENDB' ? 0 : 8, 4)
      parts.push(h, code === 'ENDB' ? Buffer.alloc(0) : Buffer.alloc(8))
    }
    return Buffer.concat(parts)
  }

  it('.blend: counts from the blocks', async () => {
    writeFileSync(at('a.blend'), blend(['REND', 'TEST', 'GLOB', 'SC', 'OB', 'OB', 'OB', 'ME', 'ME', 'MA', 'IM', 'DATA', 'DNA1']))
    const res = await generatePreview({ path: at('a.blend'), kind: 'model', format: 'blend' })
    expect(res.info).toMatchObject({ blenderVersion: '4.02', pointerSize: 8, scenes: 1, objects: 3, meshes: 2, materials: 1, images: 1 })
    expect(res.image).toBeNull()
  })

  it('.blend: a compressed header with nothing after it, and a truncated file, are malformed', async () => {
    // compressed .blend files are counted through their decompressed stream (blend-compressed.test.ts)
    writeFileSync(at('z.blend'), Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]))
    expect((await gasError(generatePreview({ path: at('z.blend'), kind: 'model', format: 'blend' }), 'E_MALFORMED_ASSET')).message).toMatch(/truncated: zstd/)
    writeFileSync(at('g.blend'), Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]))
    expect((await gasError(generatePreview({ path: at('g.blend'), kind: 'model', format: 'blend' }), 'E_MALFORMED_ASSET')).message).toMatch(/\.blend \(gzip\)|truncated/)
    writeFileSync(at('cut.blend'), blend(['OB']).subarray(0, 30))
    await gasError(generatePreview({ path: at('cut.blend'), kind: 'model', format: 'blend' }), 'E_MALFORMED_ASSET')
  })

  it('Unity prefab: objects, components, classes and external references', async () => {
    writeFileSync(at('Crate.prefab'), [
      '%YAML 1.1', '%TAG !u! tag:unity3d.com,2011:',
      '--- !u!1 &100', 'GameObject:', '  m_Name: Crate', '  m_Component:', '  - component: {fileID: 101}',
      '--- !u!4 &101', 'Transform:', '  m_GameObject: {fileID: 100}',
      '--- !u!23 &102', 'MeshRenderer:', '  m_Materials:', '  - {fileID: 2100000, guid: 0123456789abcdef0123456789abcdef, type: 2}',
      '--- !u!114 &103', 'MonoBehaviour:', '  m_Script: {fileID: 11500000, guid: fedcba9876543210fedcba9876543210, type: 3}',
      '--- !u!1 &200', 'GameObject:', '  m_Name: Lid', ''].join('\n'))
    const res = await generatePreview({ path: at('Crate.prefab'), kind: 'engine', format: 'unity-prefab' })
    expect(res.info).toMatchObject({ engine: 'unity', objects: 5, gameObjects: 2, components: 3, externalReferences: 2, names: ['Crate', 'Lid'], classes: { GameObject: 2, Transform: 1, MeshRenderer: 1, MonoBehaviour: 1 } })
    writeFileSync(at('bin.unity'), Buffer.from([0, 0, 0, 1, 2, 3]))
    await gasError(generatePreview({ path: at('bin.unity'), kind: 'engine', format: 'unity-scene' }), 'E_MALFORMED_ASSET')
  })

  it('Godot scene: nodes by type, resources, connections', async () => {
    writeFileSync(at('level.tscn'), [
      '[gd_scene load_steps=3 format=3 uid="uid://abc"]', '',
      '[ext_resource type="Script" path="res://player.gd" id="1"]',
      '[ext_resource type="PackedScene" path="res://enemy.tscn" id="2"]',
      '[sub_resource type="BoxShape3D" id="3"]', '',
      '[node name="Level" type="Node3D"]', '',
      '[node name="Player" type="CharacterBody3D" parent="."]', 'script = ExtResource("1")', '',
      '[node name="Enemy" parent="." instance=ExtResource("2")]', '',
      '[node name="Hitbox" type="CollisionShape3D" parent="Player"]', '',
      '[connection signal="body_entered" from="Player" to="." method="_on_hit"]', ''].join('\n'))
    const res = await generatePreview({ path: at('level.tscn'), kind: 'engine', format: 'godot-scene' })
    expect(res.info).toMatchObject({ engine: 'godot', formatVersion: 3, nodes: 4, externalResources: 2, subResources: 1, connections: 1, resources: ['res://player.gd', 'res://enemy.tscn'], names: ['Level', 'Player', 'Enemy', 'Hitbox'], nodeTypes: { Node3D: 1, CharacterBody3D: 1, instance: 1, CollisionShape3D: 1 } })
    writeFileSync(at('mat.tres'), '[gd_resource type="StandardMaterial3D" format=3]\n\n[resource]\nalbedo_color = Color(1, 0, 0, 1)\n')
    const tres = await generatePreview({ path: at('mat.tres'), kind: 'engine', format: 'godot-resource' })
    expect(tres.info).toMatchObject({ resourceType: 'StandardMaterial3D', nodes: 0 })
    writeFileSync(at('bad.tscn'), '[node name="x"]\n')
    await gasError(generatePreview({ path: at('bad.tscn'), kind: 'engine', format: 'godot-scene' }), 'E_MALFORMED_ASSET')
  })
})

describe('Draco-compressed glTF', () => {
  /** Encodes a triangle grid with Google's Draco encoder (draco3dgltf) into a glTF with KHR_draco_mesh_compression. */
  async function dracoGltf (n: number): Promise<{ json: string, triangles: number, points: number }> {
    const draco = await import('draco3dgltf') as any
    const enc = await (draco.default ?? draco).createEncoderModule({})
    const positions: number[] = []; const indices: number[] = []
    for (let y = 0; y <= n; y++) for (let x = 0; x <= n; x++) positions.push(x, Math.sin(x + y) * 0.5, y)
    for (let y = 0; y < n; y++) {
      for (let x = 0; x < n; x++) {
        const a = y * (n + 1) + x
        indices.push(a, a + 1, a + n + 1, a + 1, a + n + 2, a + n + 1)
      }
    }
    const builder = new enc.MeshBuilder(); const mesh = new enc.Mesh(); const encoder = new enc.Encoder(); const out = new enc.DracoInt8Array()
    builder.AddFacesToMesh(mesh, indices.length / 3, new Uint32Array(indices))
    const id = builder.AddFloatAttributeToMesh(mesh, enc.POSITION, positions.length / 3, 3, new Float32Array(positions))
    encoder.SetAttributeQuantization(enc.POSITION, 16)
    const length = encoder.EncodeMeshToDracoBuffer(mesh, out)
    const bytes = Buffer.alloc(length)
    for (let i = 0; i < length; i++) bytes[i] = out.GetValue(i) & 255
    enc.destroy(out); enc.destroy(encoder); enc.destroy(mesh); enc.destroy(builder)
    const gltf = {
      asset: { version: '2.0', generator: 'draco3dgltf test' },
      extensionsUsed: ['KHR_draco_mesh_compression'],
      extensionsRequired: ['KHR_draco_mesh_compression'],
      buffers: [{ byteLength: bytes.length, uri: `data:application/octet-stream;base64,${bytes.toString('base64')}` }],
      bufferViews: [{ buffer: 0, byteLength: bytes.length }],
      accessors: [{ componentType: 5126, count: positions.length / 3, type: 'VEC3', min: [0, -0.5, 0], max: [n, 0.5, n] }, { componentType: 5125, count: indices.length, type: 'SCALAR' }],
      meshes: [{ primitives: [{ attributes: { POSITION: 0 }, indices: 1, extensions: { KHR_draco_mesh_compression: { bufferView: 0, attributes: { POSITION: id } } } }] }],
      nodes: [{ mesh: 0 }],
      scenes: [{ nodes: [0] }],
      scene: 0
    }
    return { json: JSON.stringify(gltf), triangles: indices.length / 3, points: positions.length / 3 }
  }

  it('decodes with Google\'s decoder: counts, bounds and a render', async () => {
    const { json, triangles, points } = await dracoGltf(12)
    writeFileSync(at('draco.gltf'), json)
    const res = await generatePreview({ path: at('draco.gltf'), kind: 'model', format: 'gltf' })
    expect(res.info).toMatchObject({ triangles, vertices: points })
    const b = res.info.bounds as { min: number[], max: number[] }
    expect(b.min[0]).toBeCloseTo(0, 2); expect(b.max[0]).toBeCloseTo(12, 2); expect(b.max[2]).toBeCloseTo(12, 2)
    expect(res.image).not.toBeNull()
    writeFileSync(at('draco-bad.gltf'), json.replace(/base64,[A-Za-z0-9+/]{8}/, 'base64,AAAAAAAA'))
    await gasError(generatePreview({ path: at('draco-bad.gltf'), kind: 'model', format: 'gltf' }), 'E_MALFORMED_ASSET')
  })
})
