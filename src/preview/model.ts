import { readFile, stat } from 'node:fs/promises'
import { GasError, fromFsError } from '../errors.js'
import { withSource } from './byte-source.js'
import { blendPreview } from './blend.js'
import { MAX_MODEL_BYTES } from './limits.js'
import type { MeshData, ModelInfo } from './mesh.js'
import { parseObj } from './obj.js'
import { rasterize } from './rasterize.js'
import { thumbnailFromRender } from './thumbnail.js'
import type { GenerateOpts, PreviewParts } from './types.js'

/** Rendered at twice the thumbnail size and downscaled: cheap anti-aliasing for the edges. */
const SUPERSAMPLE = 2

export async function modelPreview (opts: GenerateOpts): Promise<PreviewParts> {
  const { path, format, size } = opts
  if (format === 'blend') return await blendPreview(path)
  if (!['obj', 'fbx', 'gltf', 'glb', 'stl', 'ply'].includes(format)) throw new GasError('E_NO_PREVIEW', `no preview for this model format: ${format} (supported: obj, fbx, gltf, glb, stl, ply, blend)`, { path, format })
  const bytes = await stat(path).then(s => s.size, err => { throw fromFsError(err, path) })
  if (bytes > MAX_MODEL_BYTES) throw new GasError('E_NO_PREVIEW', `${path}: model is ${bytes} bytes, over the ${MAX_MODEL_BYTES}-byte model preview limit`, { path, bytes })
  let parsed: { info: ModelInfo, meshes: MeshData[], meta?: Record<string, string> }
  if (format === 'obj') parsed = await withSource(path, parseObj)
  else {
    const whole = await readFile(path).catch(err => { throw fromFsError(err, path) })
    // three.js and its loaders load only for the formats that use them (OBJ, the common case, does not)
    if (format === 'fbx') {
      const { fbxMeta, parseFbx } = await import('./fbx.js')
      parsed = { ...parseFbx(path, whole), meta: fbxMeta(whole) }
    } else if (format === 'stl' || format === 'ply') parsed = (await import('./stl-ply.js')).parseStlOrPly(path, whole, format)
    else parsed = await (await import('./gltf.js')).parseGltf(path, whole, format === 'glb')
  }
  const { info, meshes } = parsed
  let image = null
  if (info.bounds !== null && info.triangles > 0) {
    const px = size * SUPERSAMPLE
    const rgba = rasterize(meshes, info.bounds, px)
    // a degenerate scene (every triangle flat to a line or point) draws nothing: say so, not an empty picture
    if (anyPixel(rgba)) image = await thumbnailFromRender(rgba, px, SUPERSAMPLE)
    else info.degenerate = true
  }
  return { info, image, clip: null, ...(parsed.meta !== undefined ? { meta: parsed.meta } : {}) }
}

function anyPixel (rgba: Uint8Array): boolean {
  for (let i = 3; i < rgba.length; i += 4) if (rgba[i] !== 0) return true
  return false
}
