import type { AssetKind } from '../objects/asset.js'

export interface KindAndFormat { kind: AssetKind, format: string }

/** Bytes of a file's head that detection looks at. */
export const SNIFF_BYTES = 4096

const BY_EXTENSION: Record<string, KindAndFormat> = {}
function add (kind: AssetKind, format: string, ...exts: string[]): void {
  for (const ext of exts) BY_EXTENSION[ext] = { kind, format }
}
add('texture', 'png', 'png'); add('texture', 'jpeg', 'jpg', 'jpeg'); add('texture', 'tga', 'tga'); add('texture', 'dds', 'dds')
add('texture', 'psd', 'psd'); add('texture', 'exr', 'exr'); add('texture', 'webp', 'webp'); add('texture', 'tiff', 'tif', 'tiff')
add('texture', 'hdr', 'hdr'); add('texture', 'ktx2', 'ktx2'); add('texture', 'bmp', 'bmp')
add('model', 'obj', 'obj'); add('model', 'fbx', 'fbx'); add('model', 'gltf', 'gltf'); add('model', 'glb', 'glb')
add('model', 'blend', 'blend'); add('model', 'dae', 'dae'); add('model', 'mtl', 'mtl'); add('model', 'stl', 'stl'); add('model', 'ply', 'ply')
add('audio', 'wav', 'wav'); add('audio', 'ogg', 'ogg'); add('audio', 'mp3', 'mp3'); add('audio', 'flac', 'flac'); add('audio', 'aiff', 'aif', 'aiff')
add('audio', 'ogg', 'opus', 'oga')
add('video', 'mp4', 'mp4'); add('video', 'webm', 'webm'); add('video', 'mov', 'mov')
add('archive', 'zip', 'zip'); add('archive', '7z', '7z'); add('archive', 'gz', 'gz', 'tgz'); add('archive', 'pak', 'pak')
add('code', 'typescript', 'ts', 'tsx'); add('code', 'javascript', 'js', 'mjs', 'cjs'); add('code', 'csharp', 'cs'); add('code', 'cpp', 'cpp', 'cc', 'cxx', 'h', 'hpp')
add('code', 'c', 'c'); add('code', 'python', 'py'); add('code', 'lua', 'lua'); add('code', 'gdscript', 'gd'); add('code', 'shader', 'hlsl', 'glsl', 'shader', 'usf', 'ush')
add('code', 'rust', 'rs'); add('code', 'json', 'json'); add('code', 'yaml', 'yaml', 'yml'); add('code', 'xml', 'xml'); add('code', 'ini', 'ini', 'cfg')
add('engine', 'unity-scene', 'unity'); add('engine', 'unity-prefab', 'prefab'); add('engine', 'unity-meta', 'meta'); add('engine', 'unity-asset', 'asset', 'mat', 'anim', 'controller')
add('engine', 'unreal-asset', 'uasset'); add('engine', 'unreal-map', 'umap')
add('engine', 'godot-scene', 'tscn'); add('engine', 'godot-resource', 'tres'); add('engine', 'godot-import', 'import')
add('document', 'markdown', 'md'); add('document', 'text', 'txt'); add('document', 'pdf', 'pdf')
add('build', 'exe', 'exe'); add('build', 'dll', 'dll'); add('build', 'so', 'so'); add('build', 'apk', 'apk'); add('build', 'wasm', 'wasm')

const startsWith = (head: Buffer, magic: string | number[], at = 0): boolean => {
  const bytes = typeof magic === 'string' ? Buffer.from(magic, 'latin1') : Buffer.from(magic)
  return head.length >= at + bytes.length && head.subarray(at, at + bytes.length).equals(bytes)
}

/** Magic bytes win over the extension: a renamed file is still what its bytes say. */
function byMagic (head: Buffer): KindAndFormat | undefined {
  if (startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return { kind: 'texture', format: 'png' }
  if (startsWith(head, [0xff, 0xd8, 0xff])) return { kind: 'texture', format: 'jpeg' }
  if (startsWith(head, 'DDS ')) return { kind: 'texture', format: 'dds' }
  if (startsWith(head, '8BPS')) return { kind: 'texture', format: 'psd' }
  if (startsWith(head, [0x76, 0x2f, 0x31, 0x01])) return { kind: 'texture', format: 'exr' }
  if (startsWith(head, 'RIFF') && startsWith(head, 'WEBP', 8)) return { kind: 'texture', format: 'webp' }
  if (startsWith(head, 'RIFF') && startsWith(head, 'WAVE', 8)) return { kind: 'audio', format: 'wav' }
  if (startsWith(head, 'OggS')) return { kind: 'audio', format: 'ogg' }
  if (startsWith(head, 'fLaC')) return { kind: 'audio', format: 'flac' }
  // some taggers put an ID3 tag in front of a FLAC stream: what follows the tag decides
  if (startsWith(head, 'ID3') && head.length >= 10) {
    const end = 10 + (((head[6] & 0x7f) << 21) | ((head[7] & 0x7f) << 14) | ((head[8] & 0x7f) << 7) | (head[9] & 0x7f))
    if (startsWith(head, 'fLaC', end)) return { kind: 'audio', format: 'flac' }
  }
  if (startsWith(head, 'ID3') || (head.length >= 2 && head[0] === 0xff && (head[1] & 0xe0) === 0xe0 && (head[1] & 0x06) !== 0)) return { kind: 'audio', format: 'mp3' }
  if (startsWith(head, 'Kaydara FBX Binary')) return { kind: 'model', format: 'fbx' }
  if (startsWith(head, 'glTF')) return { kind: 'model', format: 'glb' }
  if (startsWith(head, [0x50, 0x4b, 0x03, 0x04]) || startsWith(head, [0x50, 0x4b, 0x05, 0x06])) return { kind: 'archive', format: 'zip' }
  if (startsWith(head, [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c])) return { kind: 'archive', format: '7z' }
  if (startsWith(head, [0x1f, 0x8b])) return { kind: 'archive', format: 'gz' }
  if (startsWith(head, [0xc1, 0x83, 0x2a, 0x9e])) return { kind: 'engine', format: 'unreal-asset' }
  if (startsWith(head, 'MM\0*') || startsWith(head, 'II*\0')) return { kind: 'texture', format: 'tiff' }
  return undefined
}

/** Text formats are told by their first lines, since they have no magic number. */
function byText (head: Buffer, ext: string): KindAndFormat | undefined {
  const text = head.toString('latin1', 0, Math.min(head.length, 1024))
  if (ext === 'fbx' && /^; FBX \d/m.test(text)) return { kind: 'model', format: 'fbx' }
  if (ext === 'unity' || ext === 'prefab' || ext === 'asset') {
    if (text.startsWith('%YAML') && text.includes('!u!')) return BY_EXTENSION[ext]
  }
  if (ext === 'tscn' || ext === 'tres') {
    if (/^\[gd_(scene|resource)/.test(text)) return BY_EXTENSION[ext]
  }
  return undefined
}

/** TGA has no magic at the start; check the header fields make sense. */
function looksLikeTga (head: Buffer): boolean {
  if (head.length < 18) return false
  const colorMapType = head[1]
  const imageType = head[2]
  const depth = head[16]
  return colorMapType <= 1 && [1, 2, 3, 9, 10, 11].includes(imageType) && [8, 15, 16, 24, 32].includes(depth) && head.readUInt16LE(12) > 0 && head.readUInt16LE(14) > 0
}

export function extensionOf (path: string): string {
  const base = path.slice(path.lastIndexOf('/') + 1)
  const dot = base.lastIndexOf('.')
  return dot <= 0 ? '' : base.slice(dot + 1).toLowerCase()
}

/** Asset kind and format from the extension and the first bytes of the file. */
export function detectKind (path: string, head: Buffer): KindAndFormat {
  const ext = extensionOf(path)
  // Blender saves compressed .blend files as a gzip (before 3.0) or zstd stream: still a .blend
  if (ext === 'blend' && (startsWith(head, [0x1f, 0x8b]) || startsWith(head, [0x28, 0xb5, 0x2f, 0xfd]))) return { kind: 'model', format: 'blend' }
  const magic = byMagic(head)
  if (magic !== undefined) return magic
  const text = byText(head, ext)
  if (text !== undefined) return text
  if (ext === 'tga' && looksLikeTga(head)) return { kind: 'texture', format: 'tga' }
  if (ext === 'obj' && /^(#|v |vn |vt |o |g |mtllib|usemtl|f )/m.test(head.toString('latin1', 0, 1024))) return { kind: 'model', format: 'obj' }
  if (ext === 'gltf' && head.toString('latin1', 0, 256).trimStart().startsWith('{')) return { kind: 'model', format: 'gltf' }
  const known = BY_EXTENSION[ext]
  // A binary extension whose bytes do not match keeps its kind and format; previews will report it malformed.
  if (known !== undefined) return known
  return { kind: 'other', format: ext === '' ? 'unknown' : ext }
}
