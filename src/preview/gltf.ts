import { readFile, stat } from 'node:fs/promises'
import { dirname, resolve, sep } from 'node:path'
import { GLTFLoader } from 'three/examples/jsm/loaders/GLTFLoader.js'
import { GasError } from '../errors.js'
import { decodeDracoPrimitives } from './draco.js'
import { metaTags } from './meta-tags.js'
import { MAX_MODEL_BYTES } from './limits.js'
import type { MeshData, ModelInfo } from './mesh.js'
import { sceneInfo, storedVertices } from './scene-info.js'
import { installThreeEnv } from './three-env.js'

installThreeEnv()

/**
 * glTF / GLB through three's GLTFLoader.parse. Before parsing, the asset is normalised into one
 * GLB with a single BIN buffer and no images: GLTFLoader fetches external buffers (no file: in
 * Node's fetch) and decodes images through the DOM, and a preview needs neither — so we read the
 * buffers ourselves and keep the image names as facts.
 */

const GLB_MAGIC = 0x46546c67 // 'glTF'
const CHUNK_JSON = 0x4e4f534a
const CHUNK_BIN = 0x004e4942
/** Extensions whose geometry we cannot decode (Draco is decoded by draco.ts). */
const UNSUPPORTED = ['EXT_meshopt_compression', 'KHR_meshopt_compression']

type Json = Record<string, any>

export async function parseGltf (path: string, bytes: Uint8Array, glb: boolean): Promise<{ info: ModelInfo, meshes: MeshData[], meta: Record<string, string> }> {
  const bad = (why: string): GasError => GasError.malformedAsset(path, `not a valid ${glb ? 'GLB' : 'glTF'}: ${why}`)
  const { json, bin } = glb ? splitGlb(bytes, bad) : { json: parseJson(new TextDecoder().decode(bytes), bad), bin: null }
  const version = json.asset?.version
  if (typeof version !== 'string' && json.asset === undefined && typeof json.scene === 'string') throw new GasError('E_NO_PREVIEW', 'no preview for glTF 1.0 (supported: glTF 2.0)', { path })
  if (typeof version !== 'string') throw bad('asset.version is missing')
  if (/^1\./.test(version)) throw new GasError('E_NO_PREVIEW', `no preview for glTF ${version} (supported: glTF 2.0)`, { path })
  if (!version.startsWith('2')) throw bad(`asset.version ${version} (glTF 2 only)`)
  normalize(json)
  const required: string[] = Array.isArray(json.extensionsRequired) ? json.extensionsRequired : []
  const blocked = required.filter(e => UNSUPPORTED.includes(e))
  if (blocked.length > 0) throw new GasError('E_NO_PREVIEW', `no preview for compressed glTF geometry (${blocked.join(', ')}; supported: KHR_draco_mesh_compression)`, { path })
  const textures = imageNames(json)
  const merged = await decodeDracoPrimitives(json, await mergeBuffers(path, json, bin, bad), bad)
  checkAccessors(json, merged.length, bad)
  stripImages(json)
  const ab = packGlb(json, merged)
  const gltf = await new Promise<any>((resolve, reject) => {
    try { new GLTFLoader().parse(ab, '', resolve, reject) } catch (err) { reject(err) }
  }).catch(err => { throw bad(((err as Error)?.message ?? String(err)).replace(/^THREE\.GLTFLoader: /, '')) })
  const result = sceneInfo(gltf.scene, gltf.animations.length, textures, storedVertices)
  Object.assign(result.info, { gltfVersion: version })
  return { ...result, meta: gltfMeta(json) }
}

/** glTF's own metadata fields as tags: generator, copyright, and the asset's extras. */
function gltfMeta (json: Json): Record<string, string> {
  const a = json.asset ?? {}
  const raw: Record<string, unknown> = { generator: a.generator, copyright: a.copyright }
  if (a.extras !== null && typeof a.extras === 'object' && !Array.isArray(a.extras)) {
    for (const [k, v] of Object.entries(a.extras as Json).slice(0, 20)) raw[`extras.${k}`] = v
  }
  return metaTags(raw)
}

/**
 * Repairs what real exporters get wrong and three trips over with a raw TypeError: names that
 * are not strings (dropped), and a file with nodes but no scene (every root node becomes one).
 */
function normalize (json: Json): void {
  for (const key of ['nodes', 'meshes', 'materials', 'scenes', 'animations', 'skins', 'cameras', 'accessors', 'bufferViews']) {
    const list = json[key]
    if (list === undefined) continue
    if (!Array.isArray(list)) { delete json[key]; continue }
    for (const item of list) if (item !== null && typeof item === 'object' && 'name' in item && typeof item.name !== 'string') delete item.name
  }
  const nodes: Json[] = Array.isArray(json.nodes) ? json.nodes : []
  if (!Array.isArray(json.scenes) || json.scenes.length === 0) {
    const children = new Set(nodes.flatMap(n => Array.isArray(n?.children) ? n.children : []))
    json.scenes = [{ nodes: nodes.map((_, i) => i).filter(i => !children.has(i)) }]
    json.scene = 0
  }
  if (!Number.isInteger(json.scene) || json.scene < 0 || json.scene >= json.scenes.length) json.scene = 0
}

function parseJson (text: string, bad: (why: string) => GasError): Json {
  let json: unknown
  try { json = JSON.parse(text) } catch (err) { throw bad(`JSON: ${(err as Error).message}`) }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw bad('top level is not an object')
  return json as Json
}

/** GLB: 12-byte header, then chunks (length, type, body); JSON first, optional BIN second. */
function splitGlb (b: Uint8Array, bad: (why: string) => GasError): { json: Json, bin: Uint8Array | null } {
  if (b.length < 20) throw bad('shorter than a GLB header')
  const dv = new DataView(b.buffer, b.byteOffset, b.length)
  if (dv.getUint32(0, true) !== GLB_MAGIC) throw bad('missing "glTF" magic')
  if (dv.getUint32(4, true) !== 2) throw bad(`container version ${dv.getUint32(4, true)}`)
  const total = dv.getUint32(8, true)
  if (total > b.length) throw bad(`header says ${total} bytes but the file has ${b.length}`)
  let json: Json | null = null; let bin: Uint8Array | null = null
  for (let p = 12; p + 8 <= total;) {
    const len = dv.getUint32(p, true); const type = dv.getUint32(p + 4, true)
    if (p + 8 + len > total) throw bad(`chunk at ${p} runs past the end`)
    const body = b.subarray(p + 8, p + 8 + len)
    if (type === CHUNK_JSON && json === null) json = parseJson(new TextDecoder().decode(body), bad)
    else if (type === CHUNK_BIN && bin === null) bin = body
    p += 8 + len + ((4 - (len % 4)) % 4)
  }
  if (json === null) throw bad('no JSON chunk')
  return { json, bin }
}

function imageNames (json: Json): string[] {
  const images: Json[] = Array.isArray(json.images) ? json.images : []
  return images.map((img, i) => typeof img.uri === 'string' && !img.uri.startsWith('data:') ? decodeURIComponent(img.uri) : typeof img.name === 'string' ? img.name : `image ${i} (embedded)`)
}

/** Concatenates every buffer into one, rewriting bufferViews; external files come from the model's folder only. */
async function mergeBuffers (path: string, json: Json, bin: Uint8Array | null, bad: (why: string) => GasError): Promise<Uint8Array> {
  const buffers: Json[] = Array.isArray(json.buffers) ? json.buffers : []
  const bodies: Uint8Array[] = []
  let total = 0
  for (const [i, buf] of buffers.entries()) {
    let body: Uint8Array
    if (typeof buf.uri !== 'string') {
      if (i !== 0 || bin === null) throw bad(`buffer ${i} has no uri and there is no BIN chunk`)
      body = bin
    } else if (buf.uri.startsWith('data:')) {
      const comma = buf.uri.indexOf(',')
      if (comma < 0 || !buf.uri.slice(0, comma).endsWith(';base64')) throw bad(`buffer ${i} has a data URI that is not base64`)
      body = Buffer.from(buf.uri.slice(comma + 1), 'base64')
    } else {
      const folder = resolve(dirname(path))
      const file = resolve(folder, decodeURIComponent(buf.uri))
      if (!file.startsWith(folder + sep)) throw bad(`buffer ${i} (${buf.uri}) points outside the model's folder`)
      const size = await stat(file).then(s => s.size, () => { throw bad(`buffer file ${buf.uri} is missing`) })
      if (total + size > MAX_MODEL_BYTES) throw new GasError('E_NO_PREVIEW', `${path}: glTF buffers exceed the ${MAX_MODEL_BYTES}-byte model preview limit`, { path })
      body = await readFile(file)
    }
    if (typeof buf.byteLength !== 'number' || body.length < buf.byteLength) throw bad(`buffer ${i} holds ${body.length} bytes, fewer than its byteLength ${String(buf.byteLength)}`)
    bodies.push(body.subarray(0, buf.byteLength))
    total += buf.byteLength + ((4 - (buf.byteLength % 4)) % 4)
  }
  const out = new Uint8Array(total)
  const base: number[] = []
  let at = 0
  for (const body of bodies) { base.push(at); out.set(body, at); at += body.length + ((4 - (body.length % 4)) % 4) }
  const views: Json[] = Array.isArray(json.bufferViews) ? json.bufferViews : []
  for (const [i, view] of views.entries()) {
    const b = view.buffer
    const offset = view.byteOffset ?? 0
    if (!Number.isInteger(b) || b < 0 || b >= bodies.length) throw bad(`bufferView ${i} refers to buffer ${String(b)}`)
    if (!Number.isInteger(offset) || !Number.isInteger(view.byteLength) || offset < 0 || offset + view.byteLength > bodies[b].length) throw bad(`bufferView ${i} lies outside buffer ${b}`)
    view.buffer = 0; view.byteOffset = base[b] + offset
  }
  json.buffers = total > 0 ? [{ byteLength: total }] : []
  return out
}

const COMPONENT_BYTES: Record<number, number> = { 5120: 1, 5121: 1, 5122: 2, 5123: 2, 5125: 4, 5126: 4 }
const TYPE_SIZE: Record<string, number> = { SCALAR: 1, VEC2: 2, VEC3: 3, VEC4: 4, MAT2: 4, MAT3: 9, MAT4: 16 }

/**
 * three allocates `count` elements for an accessor before looking at the data, so a lying count
 * would allocate gigabytes: every accessor must fit its bufferView, and one without a view
 * (sparse or empty) may not claim more than the model size limit.
 */
function checkAccessors (json: Json, binLength: number, bad: (why: string) => GasError): void {
  const accessors: Json[] = Array.isArray(json.accessors) ? json.accessors : []
  const views: Json[] = Array.isArray(json.bufferViews) ? json.bufferViews : []
  for (const [i, a] of accessors.entries()) {
    const comp = COMPONENT_BYTES[a.componentType]; const items = TYPE_SIZE[a.type]
    if (comp === undefined || items === undefined || !Number.isInteger(a.count) || a.count < 0) throw bad(`accessor ${i} has an invalid type, component type or count`)
    const element = comp * items
    if (a.bufferView === undefined) {
      if (a.count * element > MAX_MODEL_BYTES) throw bad(`accessor ${i} claims ${a.count} elements with no data behind them`)
      continue
    }
    const view = views[a.bufferView]
    if (view === undefined) throw bad(`accessor ${i} refers to missing bufferView ${String(a.bufferView)}`)
    const stride = typeof view.byteStride === 'number' && view.byteStride > 0 ? view.byteStride : element
    const offset = a.byteOffset ?? 0
    if (!Number.isInteger(offset) || offset < 0 || (a.count > 0 && offset + (a.count - 1) * stride + element > view.byteLength)) throw bad(`accessor ${i} (${a.count} × ${element} bytes) does not fit bufferView ${String(a.bufferView)}`)
    if (view.byteOffset + view.byteLength > binLength) throw bad(`bufferView ${String(a.bufferView)} lies outside the data`)
  }
}

/** Drops images, textures and every material's texture references (keys ending in "Texture"). */
function stripImages (json: Json): void {
  delete json.images; delete json.textures; delete json.samplers
  const strip = (o: unknown): void => {
    if (typeof o !== 'object' || o === null) return
    for (const key of Object.keys(o)) {
      if (key.endsWith('Texture')) delete (o as Json)[key]
      else strip((o as Json)[key])
    }
  }
  if (Array.isArray(json.materials)) json.materials.forEach(strip)
  if (Array.isArray(json.extensionsUsed)) json.extensionsUsed = json.extensionsUsed.filter((e: string) => e !== 'KHR_texture_basisu' && e !== 'EXT_texture_webp')
  if (Array.isArray(json.extensionsRequired)) json.extensionsRequired = json.extensionsRequired.filter((e: string) => e !== 'KHR_texture_basisu' && e !== 'EXT_texture_webp')
}

function packGlb (json: Json, bin: Uint8Array): ArrayBuffer {
  let text = new TextEncoder().encode(JSON.stringify(json))
  const jsonPad = (4 - (text.length % 4)) % 4
  const binLen = bin.length
  const total = 12 + 8 + text.length + jsonPad + (binLen > 0 ? 8 + binLen : 0)
  const out = new Uint8Array(total)
  const dv = new DataView(out.buffer)
  dv.setUint32(0, GLB_MAGIC, true); dv.setUint32(4, 2, true); dv.setUint32(8, total, true)
  dv.setUint32(12, text.length + jsonPad, true); dv.setUint32(16, CHUNK_JSON, true)
  out.set(text, 20); out.fill(0x20, 20 + text.length, 20 + text.length + jsonPad)
  text = new Uint8Array(0)
  if (binLen > 0) {
    const o = 20 + (total - 20 - 8 - binLen)
    dv.setUint32(o, binLen, true); dv.setUint32(o + 4, CHUNK_BIN, true)
    out.set(bin, o + 8)
  }
  return out.buffer
}
