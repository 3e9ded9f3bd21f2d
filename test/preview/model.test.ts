import { truncateSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { DEFAULT_THUMBNAIL_SIZE, IMAGE_BUDGET_BYTES, MAX_MODEL_BYTES } from '../../src/preview/limits.js'
import { generatePreview } from '../../src/preview/index.js'
import { VIEW, viewBasis, viewFit } from '../../src/preview/rasterize.js'
import { makeAsciiFbx, makeBinaryFbx, makeGlb, makeObj, type ModelExpected, type Shape } from '../fixtures/models.js'
import { gasError, rgbaOf, tempDir } from './helpers.js'

const { put } = tempDir()

function expectInfo (info: Record<string, unknown>, exp: ModelExpected): void {
  expect(info).toMatchObject({ vertices: exp.vertices, triangles: exp.triangles, materials: exp.materials, textures: exp.textures, animations: exp.animations, bones: exp.bones })
  const b = info.bounds as ModelExpected['bounds']
  for (let k = 0; k < 3; k++) {
    expect(Math.abs(b.min[k] - exp.bounds.min[k])).toBeLessThan(1e-6)
    expect(Math.abs(b.max[k] - exp.bounds.max[k])).toBeLessThan(1e-6)
  }
}

/**
 * Expected silhouette by ray casting the analytic shape along the standard view direction:
 * independent of the rasteriser, sharing only the camera definition (VIEW).
 */
function expectedMask (shape: 'cube' | 'sphere', size: number): Uint8Array {
  const { eye, right, up } = viewBasis()
  const bounds = { min: [-1, -1, -1] as [number, number, number], max: [1, 1, 1] as [number, number, number] }
  const { scale } = viewFit(bounds, size)
  const mask = new Uint8Array(size * size)
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const u = (x + 0.5 - size / 2) / scale; const v = -(y + 0.5 - size / 2) / scale
      const o = [0, 1, 2].map(k => u * right[k] + v * up[k])
      let hit: boolean
      if (shape === 'sphere') hit = Math.hypot(...o) <= 1 // ray ⟂ offset: distance to centre is |o|
      else {
        // slab test of the line o + t·eye against the box [-1, 1]³
        let t0 = -Infinity; let t1 = Infinity
        for (let k = 0; k < 3; k++) {
          if (Math.abs(eye[k]) < 1e-12) { if (Math.abs(o[k]) > 1) { t0 = Infinity } continue }
          const a = (-1 - o[k]) / eye[k]; const b = (1 - o[k]) / eye[k]
          t0 = Math.max(t0, Math.min(a, b)); t1 = Math.min(t1, Math.max(a, b))
        }
        hit = t0 <= t1
      }
      mask[y * size + x] = hit ? 1 : 0
    }
  }
  return mask
}

async function iouOf (png: Parameters<typeof rgbaOf>[0], shape: 'cube' | 'sphere'): Promise<number> {
  const got = await rgbaOf(png)
  const exp = expectedMask(shape, got.width)
  let inter = 0; let union = 0
  for (let i = 0; i < exp.length; i++) {
    const g = got.data[i * 4 + 3] >= 128 ? 1 : 0
    inter += g & exp[i]; union += g | exp[i]
  }
  return inter / union
}

const SHAPES: Shape[] = ['cube', 'sphere', { grid: 7 }]

describe('model previews', () => {
  for (const shape of SHAPES) {
    const name = typeof shape === 'string' ? shape : `grid ${shape.grid}`
    it(`OBJ ${name}: exact counts and bounds`, async () => {
      const obj = makeObj(shape)
      const res = await generatePreview({ path: put(`${name}.obj`, obj.text), kind: 'model', format: 'obj' })
      expectInfo(res.info, obj)
      expect(res.info.materialLibraries).toEqual(['shape.mtl'])
      expect(res.image).toMatchObject({ format: 'webp', width: DEFAULT_THUMBNAIL_SIZE, height: DEFAULT_THUMBNAIL_SIZE })
      expect(res.image!.bytes.length).toBeLessThanOrEqual(IMAGE_BUDGET_BYTES)
    })
    it(`ASCII and binary FBX ${name}: exact counts and bounds`, async () => {
      const ascii = makeAsciiFbx(shape)
      expectInfo((await generatePreview({ path: put(`${name}-a.fbx`, ascii.text), kind: 'model', format: 'fbx' })).info, ascii)
      const binary = makeBinaryFbx(shape)
      expectInfo((await generatePreview({ path: put(`${name}-b.fbx`, binary.bytes), kind: 'model', format: 'fbx' })).info, binary)
    })
    it(`GLB ${name}: exact counts and bounds`, async () => {
      const glb = makeGlb(shape)
      expectInfo((await generatePreview({ path: put(`${name}.glb`, glb.bytes), kind: 'model', format: 'glb' })).info, glb)
    })
  }

  it('FBX and GLB report textures, animations and bones', async () => {
    const extras = { texture: true, bones: true, animation: true }
    const rigs = [{ f: makeAsciiFbx('cube', extras), ext: 'fbx' }, { f: makeBinaryFbx('cube', extras), ext: 'fbx' }, { f: makeGlb('cube', extras), ext: 'glb' }]
    for (const [i, fx] of rigs.entries()) {
      const bytes = 'text' in fx.f ? fx.f.text : fx.f.bytes
      const res = await generatePreview({ path: put(`rig-${i}.${fx.ext}`, bytes), kind: 'model', format: fx.ext })
      expectInfo(res.info, fx.f)
      expect(res.info.textures).toEqual(['textures/brick.png'])
      expect(res.info.bones).toBe(2)
      expect(res.info.animations).toBe(1)
    }
  })

  it('glTF with an external .bin and a texture reads both from its folder', async () => {
    const glb = makeGlb('sphere', { texture: true })
    const binStart = 20 + glb.bytes.readUInt32LE(12) + 8
    put('ext.bin', glb.bytes.subarray(binStart))
    const json = { ...glb.json, buffers: [{ uri: 'ext.bin', byteLength: glb.json.buffers[0].byteLength }] }
    const res = await generatePreview({ path: put('ext.gltf', JSON.stringify(json)), kind: 'model', format: 'gltf' })
    expectInfo(res.info, glb)
    const escape = { ...json, buffers: [{ uri: '../../etc/passwd', byteLength: 8 }] }
    await gasError(generatePreview({ path: put('escape.gltf', JSON.stringify(escape)), kind: 'model', format: 'gltf' }), 'E_MALFORMED_ASSET')
    const missing = { ...json, buffers: [{ uri: 'nope.bin', byteLength: 8 }] }
    await gasError(generatePreview({ path: put('missing.gltf', JSON.stringify(missing)), kind: 'model', format: 'gltf' }), 'E_MALFORMED_ASSET')
  })

  it('OBJ textures come from the companion .mtl', async () => {
    put('shape.mtl', 'newmtl shape_mat\nKd 1 1 1\nmap_Kd -s 1 1 1 tex/albedo.png\nbump normal.png\n')
    const res = await generatePreview({ path: put('withmtl.obj', makeObj('cube').text), kind: 'model', format: 'obj' })
    expect(res.info.textures).toEqual(['tex/albedo.png', 'normal.png'])
  })

  for (const shape of ['cube', 'sphere'] as const) {
    it(`the rendered ${shape} silhouette matches the analytic mask (IoU ≥ 0.9)`, async () => {
      for (const fx of [{ b: makeObj(shape).text, f: 'obj' }, { b: makeGlb(shape).bytes, f: 'glb' }, { b: makeBinaryFbx(shape).bytes, f: 'fbx' }]) {
        const res = await generatePreview({ path: put(`sil-${shape}.${fx.f}`, fx.b), kind: 'model', format: fx.f, size: 256 })
        const iou = await iouOf(res.image!, shape)
        expect(iou).toBeGreaterThanOrEqual(0.9)
      }
    })
  }

  it('the render is shaded, not flat: visible cube faces differ in brightness', async () => {
    const res = await generatePreview({ path: put('shade.obj', makeObj('cube').text), kind: 'model', format: 'obj', size: 128 })
    const got = await rgbaOf(res.image!)
    const shades = new Set<number>()
    for (let i = 0; i < got.data.length; i += 4) if (got.data[i + 3] === 255) shades.add(got.data[i] >> 3)
    expect(shades.size).toBeGreaterThanOrEqual(3)
    expect(VIEW.azimuthDeg).toBe(45)
  })

  it('models over the size cap get E_NO_PREVIEW without being read', async () => {
    const p = put('huge.fbx', '')
    truncateSync(p, MAX_MODEL_BYTES + 1) // sparse: no disk used
    const t0 = performance.now()
    expect((await gasError(generatePreview({ path: p, kind: 'model', format: 'fbx' }), 'E_NO_PREVIEW')).message).toMatch(/limit/)
    expect(performance.now() - t0).toBeLessThan(500)
  })

  it('broken models fail with E_MALFORMED_ASSET and say why', async () => {
    const fbx = makeBinaryFbx('cube')
    const broken = Buffer.from(fbx.bytes); broken.writeUInt32LE(0x7fffffff, 27) // first node's end offset
    expect((await gasError(generatePreview({ path: put('broken.fbx', broken), kind: 'model', format: 'fbx' }), 'E_MALFORMED_ASSET')).message).toMatch(/FBX/)
    const obj = 'v 0 0 0\nv 1 0 0\nf 1 2 3\n'
    expect((await gasError(generatePreview({ path: put('bad.obj', obj), kind: 'model', format: 'obj' }), 'E_MALFORMED_ASSET')).message).toMatch(/vertex 3/)
    await gasError(generatePreview({ path: put('empty.obj', '# nothing\n'), kind: 'model', format: 'obj' }), 'E_MALFORMED_ASSET')
    await gasError(generatePreview({ path: put('bin.obj', Buffer.from([1, 2, 3, 0, 5, 10])), kind: 'model', format: 'obj' }), 'E_MALFORMED_ASSET')
    const glb = Buffer.from(makeGlb('cube').bytes); glb.writeUInt32LE(1 << 30, 8)
    await gasError(generatePreview({ path: put('bad.glb', glb), kind: 'model', format: 'glb' }), 'E_MALFORMED_ASSET')
    await gasError(generatePreview({ path: put('bad.gltf', '{"asset":'), kind: 'model', format: 'gltf' }), 'E_MALFORMED_ASSET')
    expect((await gasError(generatePreview({ path: put('x.blend', 'x'), kind: 'model', format: 'blend' }), 'E_MALFORMED_ASSET')).message).toMatch(/BLENDER/)
    await gasError(generatePreview({ path: put('x.dae', '<COLLADA/>'), kind: 'model', format: 'dae' }), 'E_NO_PREVIEW')
  })
})
