import { GasError } from '../errors.js'
import { withSource } from './byte-source.js'
import type { PreviewParts } from './types.js'

/**
 * Blender .blend: counts from the file's blocks without Blender. The file is a header
 * ("BLENDER", pointer size, endianness, version) and a list of blocks, each with a 4-char code
 * (OB object, ME mesh, MA material, IM image, AC action, …) and a length; walking the block headers
 * gives what the file holds. Geometry would need Blender's DNA, so there is no image; a
 * compressed (gzip / zstd) .blend is E_NO_PREVIEW with that reason.
 */
const CODES: Record<string, string> = { OB: 'objects', ME: 'meshes', MA: 'materials', IM: 'images', AC: 'actions', CA: 'cameras', LA: 'lights', SC: 'scenes', TE: 'textures', GR: 'collections', NT: 'nodeTrees', AR: 'armatures', CU: 'curves', WO: 'worlds' }
const MAX_BLOCKS = 10_000_000

export async function blendPreview (path: string): Promise<PreviewParts> {
  return await withSource(path, async src => {
    const head = await src.take(Math.min(17, src.size), 'blend header')
    const magic = String.fromCharCode(...head.subarray(0, 7))
    if (head[0] === 0x1f && head[1] === 0x8b) throw new GasError('E_NO_PREVIEW', 'no preview for a gzip-compressed .blend (save it uncompressed to preview)', { path })
    if (head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) throw new GasError('E_NO_PREVIEW', 'no preview for a zstd-compressed .blend (save it uncompressed to preview)', { path })
    if (magic !== 'BLENDER' || head.length < 12) throw GasError.malformedAsset(path, 'not a valid .blend: missing "BLENDER" header')
    // Blender 5 files: "BLENDER17-01v0500" (17-byte header, 64-bit block headers); older: "BLENDER-v279"
    const large = head[7] === 0x31 && head[8] === 0x37
    const pointer = large ? 8 : head[7] === 0x2d ? 8 : head[7] === 0x5f ? 4 : 0
    const little = large ? head[12] === 0x76 : head[8] === 0x76
    if (pointer === 0) throw GasError.malformedAsset(path, 'not a valid .blend: unknown pointer size')
    const version = large ? String.fromCharCode(...head.subarray(13, 17)) : String.fromCharCode(...head.subarray(9, 12))
    src.seek(large ? 17 : 12)
    const blockHeader = large ? 4 + 4 + 8 + 8 + 8 : 4 + 4 + pointer + 4 + 4
    const counts: Record<string, number> = {}
    let blocks = 0; let ended = false
    while (src.remaining >= blockHeader && blocks < MAX_BLOCKS) {
      const h = await src.take(blockHeader, 'blend block header')
      const code = String.fromCharCode(h[0], h[1], h[2], h[3]).replace(/\0/g, '')
      if (code === 'ENDB') { ended = true; break }
      const dv = new DataView(h.buffer, h.byteOffset, h.length)
      const length = large ? Number(dv.getBigUint64(16, little)) : dv.getUint32(4, little)
      blocks++
      const name = CODES[code.slice(0, 2)]
      if (name !== undefined && code.length === 2) counts[name] = (counts[name] ?? 0) + 1
      if (length > src.remaining) throw GasError.malformedAsset(path, `truncated: .blend block ${code} of ${length} bytes runs past the end`)
      src.skip(length, 'blend block')
    }
    if (!ended && blocks < MAX_BLOCKS) throw GasError.malformedAsset(path, 'truncated: .blend ends before its ENDB block')
    const v = Number(version)
    return { info: { blenderVersion: Number.isFinite(v) ? (large ? `${Math.floor(v / 100)}.${v % 100}` : `${version[0]}.${version.slice(1)}`) : version, pointerSize: pointer, blocks, ...counts }, image: null, clip: null, meta: {} }
  })
}
