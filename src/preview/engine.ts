import { createReadStream } from 'node:fs'
import { createInterface } from 'node:readline'
import { GasError, fromFsError } from '../errors.js'
import type { GenerateOpts, PreviewParts } from './types.js'

/**
 * Text summaries of engine scene and prefab files: Unity's YAML (.unity, .prefab: one document
 * per object, `--- !u!<classID> &<fileID>`) and Godot's text scenes and resources (.tscn, .tres:
 * `[node …]`, `[ext_resource …]`, `[sub_resource …]` sections). Read line by line, so a scene of
 * any size streams; no YAML or Godot parser is needed for counts and references.
 */

/** Unity class IDs a game team meets most (the rest are reported by number). */
const UNITY_CLASSES: Record<number, string> = {
  1: 'GameObject', 4: 'Transform', 20: 'Camera', 23: 'MeshRenderer', 33: 'MeshFilter', 54: 'Rigidbody', 64: 'MeshCollider', 65: 'BoxCollider', 82: 'AudioSource', 95: 'Animator', 108: 'Light', 114: 'MonoBehaviour', 135: 'SphereCollider', 136: 'CapsuleCollider', 137: 'SkinnedMeshRenderer', 198: 'ParticleSystem', 199: 'ParticleSystemRenderer', 222: 'CanvasRenderer', 223: 'Canvas', 224: 'RectTransform', 1001: 'PrefabInstance', 1660057539: 'SceneRoots', 29: 'OcclusionCullingSettings', 104: 'RenderSettings', 157: 'LightmapSettings', 196: 'NavMeshSettings'
}
const MAX_LISTED = 50

export async function enginePreview (opts: GenerateOpts): Promise<PreviewParts> {
  const { path, format } = opts
  if (format === 'unity-scene' || format === 'unity-prefab') return { info: await unitySummary(path), image: null, clip: null }
  if (format === 'godot-scene' || format === 'godot-resource') return { info: await godotSummary(path), image: null, clip: null }
  throw new GasError('E_NO_PREVIEW', `no preview for this engine format: ${format} (supported: Unity .unity/.prefab, Godot .tscn/.tres)`, { path, format })
}

async function * lines (path: string): AsyncGenerator<string> {
  const rl = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity })
  try { for await (const line of rl) yield line } catch (err) { throw fromFsError(err, path) } finally { rl.close() }
}

async function unitySummary (path: string): Promise<Record<string, unknown>> {
  const classes = new Map<string, number>()
  const guids = new Set<string>()
  const names: string[] = []
  let objects = 0; let first = true; let current = ''
  for await (const line of lines(path)) {
    if (first) {
      first = false
      if (!line.startsWith('%YAML')) throw GasError.malformedAsset(path, 'not a Unity text asset: no %YAML header (binary serialization is not previewed)')
    }
    const doc = /^--- !u!(\d+) &(-?\d+)/.exec(line)
    if (doc !== null) {
      objects++
      current = UNITY_CLASSES[Number(doc[1])] ?? `class ${doc[1]}`
      continue
    }
    if (/^[A-Za-z]\w*:\s*$/.test(line)) { current = line.slice(0, -1).trim(); classes.set(current, (classes.get(current) ?? 0) + 1); continue }
    for (const m of line.matchAll(/guid: ([0-9a-f]{32})/g)) guids.add(m[1])
    const name = /^ {2}m_Name: (.+)$/.exec(line)
    if (name !== null && current === 'GameObject' && names.length < MAX_LISTED) names.push(name[1].trim())
  }
  if (objects === 0) throw GasError.malformedAsset(path, 'not a Unity text asset: no "--- !u!" objects')
  const counts = Object.fromEntries([...classes].sort((a, b) => b[1] - a[1]))
  return { engine: 'unity', objects, gameObjects: classes.get('GameObject') ?? 0, components: objects - (classes.get('GameObject') ?? 0), classes: counts, externalReferences: guids.size, names }
}

async function godotSummary (path: string): Promise<Record<string, unknown>> {
  const types = new Map<string, number>()
  const resources: string[] = []
  const names: string[] = []
  let nodes = 0; let ext = 0; let sub = 0; let connections = 0; let header: Record<string, string> | null = null
  for await (const line of lines(path)) {
    const section = /^\[(\w+)(.*)\]\s*$/.exec(line)
    if (section === null) continue
    const attrs = Object.fromEntries([...section[2].matchAll(/(\w+)=("(?:[^"\\]|\\.)*"|[^\s\]]+)/g)].map(m => [m[1], m[2].replace(/^"|"$/g, '')]))
    if (header === null) {
      if (section[1] !== 'gd_scene' && section[1] !== 'gd_resource') throw GasError.malformedAsset(path, `not a Godot text scene or resource: first section is [${section[1]}]`)
      header = attrs
      continue
    }
    if (section[1] === 'node') {
      nodes++
      const type = attrs.type ?? (attrs.instance !== undefined ? 'instance' : 'inherited')
      types.set(type, (types.get(type) ?? 0) + 1)
      if (names.length < MAX_LISTED && attrs.name !== undefined) names.push(attrs.name)
    } else if (section[1] === 'ext_resource') {
      ext++
      if (resources.length < MAX_LISTED && attrs.path !== undefined) resources.push(attrs.path)
    } else if (section[1] === 'sub_resource') sub++
    else if (section[1] === 'connection') connections++
  }
  if (header === null) throw GasError.malformedAsset(path, 'not a Godot text scene or resource: no [gd_scene] or [gd_resource] header')
  const info: Record<string, unknown> = { engine: 'godot', formatVersion: Number(header.format ?? 0), nodes, nodeTypes: Object.fromEntries([...types].sort((a, b) => b[1] - a[1])), externalResources: ext, subResources: sub, connections, resources, names }
  if (header.type !== undefined) info.resourceType = header.type
  return info
}
