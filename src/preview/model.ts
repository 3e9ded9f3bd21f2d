import { readFile, stat } from 'node:fs/promises'
import { GasError, fromFsError } from '../errors.js'
import { withSource } from './byte-source.js'
import { parseFbx } from './fbx.js'
import { parseGltf } from './gltf.js'
import { MAX_MODEL_BYTES } from './limits.js'
import type { MeshData, ModelInfo } from './mesh.js'
import { parseObj } from './obj.js'
import { rasterize } from './rasterize.js'
import { thumbnailFromPixels } from './thumbnail.js'
import type { GenerateOpts, PreviewParts } from './types.js'

/** Rendered at twice the thumbnail size and downscaled: cheap anti-aliasing for the edges. */
const SUPERSAMPLE = 2

export async function modelPreview (opts: GenerateOpts): Promise<PreviewParts> {
  const { path, format, size } = opts
  if (!['obj', 'fbx', 'gltf', 'glb'].includes(format)) throw new GasError('E_NO_PREVIEW', `no preview for this model format: ${format} (supported: obj, fbx, gltf, glb)`, { path, format })
  const bytes = await stat(path).then(s => s.size, err => { throw fromFsError(err, path) })
  if (bytes > MAX_MODEL_BYTES) throw new GasError('E_NO_PREVIEW', `${path}: model is ${bytes} bytes, over the ${MAX_MODEL_BYTES}-byte model preview limit`, { path, bytes })
  let parsed: { info: ModelInfo, meshes: MeshData[] }
  if (format === 'obj') parsed = await withSource(path, parseObj)
  else {
    const whole = await readFile(path).catch(err => { throw fromFsError(err, path) })
    parsed = format === 'fbx' ? parseFbx(path, whole) : await parseGltf(path, whole, format === 'glb')
  }
  const { info, meshes } = parsed
  let image = null
  if (info.bounds !== null && info.triangles > 0) {
    const px = size * SUPERSAMPLE
    image = await thumbnailFromPixels(rasterize(meshes, info.bounds, px), px, px, 4, size)
  }
  return { info, image, clip: null }
}
