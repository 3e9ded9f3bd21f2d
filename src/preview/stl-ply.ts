import { Group, Mesh, type BufferGeometry } from 'three'
import { PLYLoader } from 'three/examples/jsm/loaders/PLYLoader.js'
import { STLLoader } from 'three/examples/jsm/loaders/STLLoader.js'
import { GasError } from '../errors.js'
import type { MeshData, ModelInfo } from './mesh.js'
import { distinctPositions, sceneInfo, storedVertices } from './scene-info.js'
import { installThreeEnv } from './three-env.js'

installThreeEnv()

/**
 * STL (binary and ASCII: 3D prints, CAD exports) and PLY (photogrammetry and laser scans) through
 * three's loaders, which parse them without a DOM. Each holds one mesh and no scene. A PLY with
 * vertices and no faces is a point cloud: its facts (points, bounds) without a render.
 */
export function parseStlOrPly (path: string, bytes: Uint8Array, format: 'stl' | 'ply'): { info: ModelInfo, meshes: MeshData[] } {
  const bad = (why: string): GasError => GasError.malformedAsset(path, `not a valid ${format.toUpperCase()}: ${why}`)
  const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer
  let geometry: BufferGeometry
  try {
    geometry = format === 'stl' ? new STLLoader().parse(ab) : new PLYLoader().parse(ab)
  } catch (err) {
    // a file shorter than its header, or a face count past its end: a RangeError from the DataView
    throw bad(err instanceof RangeError ? 'shorter than its header or face count says' : (err as Error)?.message ?? String(err))
  }
  const points = geometry.getAttribute('position')?.count ?? 0
  if (points === 0) throw bad('no vertices')
  if (format === 'ply' && geometry.getIndex() === null) return pointCloud(geometry)
  const root = new Group()
  root.add(new Mesh(geometry))
  // STL repeats each corner per triangle: count distinct positions, as for FBX
  const result = sceneInfo(root, 0, [], format === 'stl' ? distinctPositions : storedVertices)
  if (result.info.triangles === 0) throw bad('no triangles')
  return result
}

function pointCloud (geometry: BufferGeometry): { info: ModelInfo, meshes: MeshData[] } {
  geometry.computeBoundingBox()
  const box = geometry.boundingBox!
  const info: ModelInfo = {
    vertices: geometry.getAttribute('position').count,
    triangles: 0,
    bounds: { min: [box.min.x, box.min.y, box.min.z], max: [box.max.x, box.max.y, box.max.z] },
    materials: [],
    textures: [],
    animations: 0,
    bones: 0,
    pointCloud: true
  }
  return { info, meshes: [] }
}
