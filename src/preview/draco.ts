import { GasError } from '../errors.js'

/**
 * KHR_draco_mesh_compression through Google's own decoder (`draco3dgltf`, the glTF build of Draco
 * as WebAssembly, which three's DRACOLoader also runs — there in a web worker it fetches, which
 * Node cannot do, so we call the same decoder directly). Each compressed primitive's positions
 * and triangles are decoded, appended to the model's one buffer, and the primitive is rewritten
 * to plain accessors; a preview needs no other attribute.
 */

type Json = Record<string, any>
const EXT = 'KHR_draco_mesh_compression'
let decoderModule: Promise<any> | undefined

async function draco (): Promise<any> {
  decoderModule ??= import('draco3dgltf').then(async (m: any) => await (m.default ?? m).createDecoderModule({}))
  return await decoderModule
}

/** Rewrites every Draco primitive in `json` to plain accessors over data appended to `bin`; returns the new buffer. */
export async function decodeDracoPrimitives (json: Json, bin: Uint8Array, bad: (why: string) => GasError): Promise<Uint8Array> {
  const meshes: Json[] = Array.isArray(json.meshes) ? json.meshes : []
  const prims = meshes.flatMap(m => Array.isArray(m?.primitives) ? m.primitives : []).filter(p => p?.extensions?.[EXT] !== undefined)
  if (prims.length === 0) return bin
  const d = await draco()
  const views: Json[] = (json.bufferViews ??= [])
  const accessors: Json[] = (json.accessors ??= [])
  const parts: Uint8Array[] = [bin]
  let length = bin.length + ((4 - (bin.length % 4)) % 4)
  if (length > bin.length) parts.push(new Uint8Array(length - bin.length))
  const append = (bytes: Uint8Array): number => {
    views.push({ buffer: 0, byteOffset: length, byteLength: bytes.length })
    parts.push(bytes); length += bytes.length
    return views.length - 1
  }
  for (const prim of prims) {
    const ext = prim.extensions[EXT]
    const view = views[ext.bufferView]
    if (view === undefined || typeof ext.attributes?.POSITION !== 'number') throw bad(`${EXT} primitive without a bufferView or a POSITION attribute`)
    const data = bin.subarray(view.byteOffset ?? 0, (view.byteOffset ?? 0) + view.byteLength)
    if (String.fromCharCode(...data.subarray(0, 5)) !== 'DRACO') throw bad(`${EXT} data does not start with the "DRACO" magic`)
    const decoder = new d.Decoder(); const buffer = new d.DecoderBuffer(); const mesh = new d.Mesh()
    try {
      buffer.Init(new Int8Array(data.buffer, data.byteOffset, data.byteLength), data.byteLength)
      const type = decoder.GetEncodedGeometryType(buffer)
      if (type === d.POINT_CLOUD) throw new GasError('E_NO_PREVIEW', `no preview for Draco point clouds (${EXT})`)
      if (type !== d.TRIANGULAR_MESH) throw bad(`${EXT} data is not a Draco mesh`)
      const status = decoder.DecodeBufferToMesh(buffer, mesh)
      if (!status.ok() || mesh.ptr === 0) throw bad(`Draco data does not decode: ${String(status.error_msg())}`)
      const faces = mesh.num_faces(); const points = mesh.num_points()
      const attr = decoder.GetAttributeByUniqueId(mesh, ext.attributes.POSITION)
      if (attr.ptr === 0 || attr.num_components() !== 3) throw bad('Draco POSITION attribute missing or not 3-component')
      const positions = copyOut(d, points * 3 * 4, ptr => decoder.GetAttributeDataArrayForAllPoints(mesh, attr, d.DT_FLOAT32, points * 3 * 4, ptr))
      const indices = copyOut(d, faces * 3 * 4, ptr => decoder.GetTrianglesUInt32Array(mesh, faces * 3 * 4, ptr))
      const pos = new Float32Array(positions.buffer, positions.byteOffset, points * 3)
      const min = [Infinity, Infinity, Infinity]; const max = [-Infinity, -Infinity, -Infinity]
      for (let i = 0; i < pos.length; i++) { const k = i % 3; if (pos[i] < min[k]) min[k] = pos[i]; if (pos[i] > max[k]) max[k] = pos[i] }
      accessors.push({ bufferView: append(positions), componentType: 5126, count: points, type: 'VEC3', ...(points > 0 ? { min, max } : {}) })
      prim.attributes = { POSITION: accessors.length - 1 }
      accessors.push({ bufferView: append(indices), componentType: 5125, count: faces * 3, type: 'SCALAR' })
      prim.indices = accessors.length - 1
      delete prim.extensions[EXT]
    } finally { d.destroy(mesh); d.destroy(buffer); d.destroy(decoder) }
  }
  for (const key of ['extensionsUsed', 'extensionsRequired']) if (Array.isArray(json[key])) json[key] = json[key].filter((e: string) => e !== EXT)
  const out = new Uint8Array(length)
  let at = 0
  for (const p of parts) { out.set(p, at); at += p.length }
  json.buffers = [{ byteLength: length }]
  return out
}

/** Lets the decoder write `bytes` into its heap, and copies them out before the heap can move. */
function copyOut (d: any, bytes: number, fill: (ptr: number) => void): Uint8Array {
  const ptr = d._malloc(bytes)
  try {
    fill(ptr)
    return new Uint8Array(d.HEAPU8.buffer, ptr, bytes).slice()
  } finally { d._free(ptr) }
}
