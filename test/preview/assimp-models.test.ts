import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { generatePreview } from '../../src/preview/index.js'
import { psnr, rgbaOf, tempDir } from './helpers.js'
import { tool } from './reference.js'

/**
 * Models written by a real exporter (assimp, .ci/run installs assimp-utils): one UV sphere exported
 * as binary FBX 7.4, ASCII FBX, GLB and glTF. Counts and bounds are checked against `assimp info`
 * (of the OBJ source: assimp 5.2 cannot read back its own binary FBX), and the four renders against
 * each other; the exporter's name and units become meta tags.
 */
const { dir } = tempDir()
const at = (name: string): string => join(dir, name)

/** A UV sphere of radius 1 (rings × segments), quads between the rings and triangle fans at the poles. */
function sphereObj (rings: number, segments: number): string {
  const lines = ['v 0 1 0']
  for (let i = 1; i < rings; i++) {
    const t = Math.PI * i / rings
    for (let j = 0; j < segments; j++) { const p = 2 * Math.PI * j / segments; lines.push(`v ${(Math.sin(t) * Math.cos(p)).toFixed(6)} ${Math.cos(t).toFixed(6)} ${(Math.sin(t) * Math.sin(p)).toFixed(6)}`) }
  }
  lines.push('v 0 -1 0')
  const v = (i: number, j: number): number => 2 + (i - 1) * segments + (j % segments)
  for (let j = 0; j < segments; j++) lines.push(`f 1 ${v(1, j + 1)} ${v(1, j)}`)
  for (let i = 1; i < rings - 1; i++) for (let j = 0; j < segments; j++) lines.push(`f ${v(i, j)} ${v(i, j + 1)} ${v(i + 1, j + 1)} ${v(i + 1, j)}`)
  for (let j = 0; j < segments; j++) lines.push(`f ${v(rings - 1, j)} ${v(rings - 1, j + 1)} ${2 + (rings - 1) * segments}`)
  return lines.join('\n') + '\n'
}

/** What `assimp info` reports: vertex and face counts, min and max point. */
function assimpInfo (path: string): { vertices: number, faces: number, min: number[], max: number[] } {
  const out = tool('assimp', ['info', path])
  const num = (re: RegExp): number => Number(re.exec(out)?.[1])
  const point = (re: RegExp): number[] => (re.exec(out)?.[1] ?? '').trim().split(/\s+/).map(Number)
  return { vertices: num(/Vertices:\s+(\d+)/), faces: num(/Faces:\s+(\d+)/), min: point(/Minimum point\s+\(([^)]*)\)/), max: point(/Maximum point\s+\(([^)]*)\)/) }
}

describe('models exported by assimp, against assimp info', () => {
  it('binary FBX, ASCII FBX, GLB and glTF of one sphere: same counts and bounds as assimp reads, same render', async () => {
    writeFileSync(at('sphere.obj'), sphereObj(12, 16))
    for (const [flag, file] of [['fbx', 'sphere.fbx'], ['fbxa', 'sphere-ascii.fbx'], ['glb2', 'sphere.glb'], ['gltf2', 'sphere.gltf']]) tool('assimp', ['export', at('sphere.obj'), at(file), `-f${flag}`])
    const ref = assimpInfo(at('sphere.obj'))
    expect(ref).toMatchObject({ vertices: 178, faces: 352 }) // 12 rings × 16 segments, triangulated on import
    for (const file of ['sphere-ascii.fbx', 'sphere.glb', 'sphere.gltf']) expect(assimpInfo(at(file))).toEqual(ref)
    const renders = []
    for (const [file, format] of [['sphere.fbx', 'fbx'], ['sphere-ascii.fbx', 'fbx'], ['sphere.glb', 'glb'], ['sphere.gltf', 'gltf']]) {
      const res = await generatePreview({ path: at(file), kind: 'model', format })
      expect(res.info, file).toMatchObject({ vertices: ref.vertices, triangles: ref.faces })
      const b = res.info.bounds as { min: number[], max: number[] }
      for (let k = 0; k < 3; k++) { expect(b.min[k]).toBeCloseTo(ref.min[k], 4); expect(b.max[k]).toBeCloseTo(ref.max[k], 4) }
      expect(res.meta?.[format === 'fbx' ? 'creator' : 'generator']).toMatch(/Assimp|assimp/)
      if (format === 'fbx') expect(res.meta).toMatchObject({ unitScale: '1', units: 'cm' })
      renders.push(await rgbaOf(res.image!))
    }
    for (const r of renders.slice(1)) expect(psnr(r.data, renders[0].data)).toBeGreaterThan(40)
  })

  it('STL (binary and ASCII) and PLY (binary and ASCII) of the same sphere: the counts assimp reads, the same render; a point cloud and damaged files', async () => {
    writeFileSync(at('sphere.obj'), sphereObj(12, 16))
    const files: Array<[string, string, 'stl' | 'ply']> = [['stlb', 'sphere-b.stl', 'stl'], ['stl', 'sphere-a.stl', 'stl'], ['plyb', 'sphere-b.ply', 'ply'], ['ply', 'sphere-a.ply', 'ply']]
    for (const [flag, file] of files) tool('assimp', ['export', at('sphere.obj'), at(file), `-f${flag}`])
    const ref = assimpInfo(at('sphere.obj'))
    const renders = []
    for (const [, file, format] of files) {
      const res = await generatePreview({ path: at(file), kind: 'model', format })
      // STL keeps no shared vertices (each triangle its own corners): distinct positions are the sphere's;
      // PLY lists its vertices (assimp writes one per corner): the count its header gives
      const stored = Number(/element vertex (\d+)/.exec(readFileSync(at(file)).subarray(0, 512).toString('latin1'))?.[1])
      expect(res.info, file).toMatchObject({ vertices: format === 'stl' ? ref.vertices : stored, triangles: ref.faces })
      const b = res.info.bounds as { min: number[], max: number[] }
      for (let k = 0; k < 3; k++) { expect(b.min[k]).toBeCloseTo(ref.min[k], 4); expect(b.max[k]).toBeCloseTo(ref.max[k], 4) }
      renders.push(await rgbaOf(res.image!))
    }
    for (const r of renders.slice(1)) expect(psnr(r.data, renders[0].data)).toBeGreaterThan(40)

    // a scan's point cloud: its points and bounds, no render
    writeFileSync(at('cloud.ply'), ['ply', 'format ascii 1.0', 'element vertex 3', 'property float x', 'property float y', 'property float z', 'end_header', '0 0 0', '1 2 3', '-1 0 0.5', ''].join('\n'))
    const cloud = await generatePreview({ path: at('cloud.ply'), kind: 'model', format: 'ply' })
    expect(cloud.image).toBeNull()
    expect(cloud.info).toMatchObject({ vertices: 3, triangles: 0, pointCloud: true, bounds: { min: [-1, 0, 0], max: [1, 2, 3] } })
    // damaged: a binary STL cut short, text that is no STL, a PLY with no vertices
    const cut = readFileSync(at('sphere-b.stl')).subarray(0, 60)
    writeFileSync(at('cut.stl'), cut)
    writeFileSync(at('text.stl'), 'solid x\nendsolid x\n')
    writeFileSync(at('empty.ply'), ['ply', 'format ascii 1.0', 'element vertex 0', 'property float x', 'end_header', ''].join('\n'))
    for (const [file, format] of [['cut.stl', 'stl'], ['text.stl', 'stl'], ['empty.ply', 'ply']]) {
      await expect(generatePreview({ path: at(file), kind: 'model', format }), file).rejects.toMatchObject({ code: 'E_MALFORMED_ASSET' })
    }
  })
})
