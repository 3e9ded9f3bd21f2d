import { LoadingManager, Texture } from 'three'
import { FBXLoader } from 'three/examples/jsm/loaders/FBXLoader.js'
import { GasError } from '../errors.js'
import { metaTags } from './meta-tags.js'
import type { MeshData, ModelInfo } from './mesh.js'
import { distinctPositions, sceneInfo } from './scene-info.js'
import { installThreeEnv, withWindow } from './three-env.js'

installThreeEnv()

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
  const ignored: string[] = []
  try {
    group = withWindow(() => new FBXLoader(manager).parse(ab, ''))
  } catch (err) {
    // three reads vertex colours only in the layouts current exporters write; older files trip it
    // with a raw TypeError. Colours do not change a preview's counts or silhouette: retry without them.
    const retry = err instanceof TypeError ? withoutLayer(bytes, 'LayerElementColor') : null
    if (retry !== null) {
      try {
        group = withWindow(() => new FBXLoader(manager).parse(retry, ''))
        ignored.push('vertex colours (a layout three cannot read)')
      } catch { /* report the first error below */ }
    }
    if (group === undefined) throw GasError.malformedAsset(path, `not a valid FBX: ${((err as Error)?.message ?? String(err)).replace(/^THREE\.FBXLoader: /, '')}`)
  }
  const result = sceneInfo(group, group.animations.length, textures, distinctPositions)
  if (ignored.length > 0) result.info.ignored = ignored
  if (result.info.vertices === 0 && result.info.bones === 0) throw GasError.malformedAsset(path, 'FBX holds no geometry')
  return result
}

/**
 * FBX creator (the exporting tool) and unit scale as tags. three's loader does not keep them, so
 * they are read from the bytes: in binary FBX a property is a type code ('S' string: u32 length;
 * 'D' double) after its name; in ASCII FBX `Creator: "…"` and `P: "UnitScaleFactor", …, 2.54`.
 */
export function fbxMeta (bytes: Uint8Array): Record<string, string> {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const raw: Record<string, unknown> = {}
  const ascii = !buf.subarray(0, 18).equals(Buffer.from('Kaydara FBX Binary'))
  if (ascii) {
    const head = buf.toString('latin1', 0, Math.min(buf.length, 1 << 20))
    raw.creator = /^\s*Creator: "([^"]*)"/m.exec(head)?.[1]
    raw.unitScale = /"UnitScaleFactor",[^\n]*?,\s*([-\d.eE+]+)\s*$/m.exec(head)?.[1]
  } else {
    const at = buf.indexOf('Creator', 0, 'latin1')
    if (at >= 0 && buf[at + 7] === 0x53 && at + 12 <= buf.length) {
      const len = buf.readUInt32LE(at + 8)
      if (len < 1024 && at + 12 + len <= buf.length) raw.creator = buf.toString('utf8', at + 12, at + 12 + len)
    }
    const unit = buf.indexOf('UnitScaleFactor', 0, 'latin1')
    if (unit >= 0) {
      // …"UnitScaleFactor" S"double" S"Number" S"" D<value>: the first 'D' after the name's strings
      for (let p = unit + 15, strings = 0; p + 9 <= buf.length && p < unit + 200 && strings < 4;) {
        if (buf[p] === 0x44) { raw.unitScale = buf.readDoubleLE(p + 1); break }
        if (buf[p] === 0x53 && p + 5 <= buf.length) { p += 5 + buf.readUInt32LE(p + 1); strings++; continue }
        p++
      }
    }
  }
  if (raw.unitScale !== undefined) raw.unitScale = Number(raw.unitScale)
  // UnitScaleFactor is centimetres per unit: 1 is cm (FBX's default), 100 is metres
  if (typeof raw.unitScale === 'number' && Number.isFinite(raw.unitScale)) raw.units = ({ 1: 'cm', 100: 'm', 2.54: 'in', 30.48: 'ft', 0.1: 'mm' } as Record<number, string>)[raw.unitScale]
  return metaTags(raw)
}

/** A copy with every node named `name` renamed (same length, so binary offsets stay right) to one three ignores. */
function withoutLayer (bytes: Uint8Array, name: string): ArrayBuffer | null {
  const copy = Buffer.from(bytes)
  const from = Buffer.from(name, 'latin1'); const to = Buffer.from(`X${name.slice(1)}`, 'latin1')
  let found = false
  for (let at = copy.indexOf(from); at >= 0; at = copy.indexOf(from, at + from.length)) { to.copy(copy, at); found = true }
  return found ? copy.buffer.slice(copy.byteOffset, copy.byteOffset + copy.byteLength) as ArrayBuffer : null
}
