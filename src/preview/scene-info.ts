import { Matrix4, Vector3, type BufferGeometry, type Material, type Mesh, type Object3D } from 'three'
import { emptyBounds, type MeshData, type ModelInfo } from './mesh.js'

/**
 * Facts and world-space triangles from a scene built by one of three's loaders. `countVertices`
 * differs per format: glTF geometry is indexed as stored; FBX is expanded per polygon corner.
 */
export function sceneInfo (root: Object3D, animations: number, textures: string[], countVertices: (g: BufferGeometry) => number): { info: ModelInfo, meshes: MeshData[] } {
  root.updateMatrixWorld(true)
  const bounds = emptyBounds()
  const materials: string[] = []
  const meshes: MeshData[] = []
  let vertices = 0; let triangles = 0; let bones = 0
  const v = new Vector3()
  root.traverse(obj => {
    if ((obj as { isBone?: boolean }).isBone === true) bones++
    const mesh = obj as Mesh
    if (mesh.isMesh !== true) return
    const g = mesh.geometry
    const pos = g.getAttribute('position')
    if (pos === undefined) return
    const mats: Material[] = Array.isArray(mesh.material) ? mesh.material : [mesh.material]
    for (const m of mats) if (m !== undefined && m.name !== '' && !materials.includes(m.name)) materials.push(m.name)
    vertices += countVertices(g)
    const world = new Matrix4().copy(mesh.matrixWorld)
    const positions = new Float64Array(pos.count * 3)
    for (let i = 0; i < pos.count; i++) {
      v.fromBufferAttribute(pos, i).applyMatrix4(world)
      positions[i * 3] = v.x; positions[i * 3 + 1] = v.y; positions[i * 3 + 2] = v.z
      for (let k = 0; k < 3; k++) {
        const c = v.getComponent(k)
        if (c < bounds.min[k]) bounds.min[k] = c
        if (c > bounds.max[k]) bounds.max[k] = c
      }
    }
    const index = g.getIndex()
    let indices: Uint32Array
    if (index !== null) {
      indices = new Uint32Array(index.count - (index.count % 3))
      for (let i = 0; i < indices.length; i++) indices[i] = index.getX(i)
    } else {
      indices = new Uint32Array(pos.count - (pos.count % 3))
      for (let i = 0; i < indices.length; i++) indices[i] = i
    }
    triangles += indices.length / 3
    meshes.push({ positions, indices, triangleCount: indices.length / 3 })
  })
  return {
    info: { vertices, triangles, bounds: vertices > 0 ? bounds : null, materials, textures, animations, bones },
    meshes
  }
}

/** Distinct positions: FBX control points, which three expands into one vertex per polygon corner. */
export function distinctPositions (g: BufferGeometry): number {
  const pos = g.getAttribute('position')
  const seen = new Set<string>()
  for (let i = 0; i < pos.count; i++) seen.add(`${pos.getX(i)},${pos.getY(i)},${pos.getZ(i)}`)
  return seen.size
}

export function storedVertices (g: BufferGeometry): number { return g.getAttribute('position').count }
