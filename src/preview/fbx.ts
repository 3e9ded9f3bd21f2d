import { LoadingManager, Texture } from 'three'
import { FBXLoader } from 'three/examples/jsm/loaders/FBXLoader.js'
import { GasError } from '../errors.js'
import type { MeshData, ModelInfo } from './mesh.js'
import { distinctPositions, sceneInfo } from './scene-info.js'

/**
 * FBX (binary and ASCII) through three's FBXLoader.parse, which runs in Node as long as nothing
 * tries to load an image. The only shim: a loading manager whose handler answers every texture
 * request with an empty Texture and records the file name, so no DOM image loader is reached.
 */
export function parseFbx (path: string, bytes: Uint8Array): { info: ModelInfo, meshes: MeshData[] } {
  const textures: string[] = []
  const manager = new LoadingManager()
  const recorder = {
    path: '',
    setPath (p: string) { this.path = p; return this },
    load (url: string) { if (!textures.includes(url)) textures.push(url); return new Texture() }
  }
  manager.addHandler(/./, recorder as unknown as Parameters<LoadingManager['addHandler']>[1])
  const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer
  let group
  try {
    group = new FBXLoader(manager).parse(ab, '')
  } catch (err) {
    throw GasError.malformedAsset(path, `not a valid FBX: ${((err as Error)?.message ?? String(err)).replace(/^THREE\.FBXLoader: /, '')}`)
  }
  const result = sceneInfo(group, group.animations.length, textures, distinctPositions)
  if (result.info.vertices === 0 && result.info.bones === 0) throw GasError.malformedAsset(path, 'FBX holds no geometry')
  return result
}
