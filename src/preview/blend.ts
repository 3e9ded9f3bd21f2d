import { GasError } from '../errors.js'
import { blendStream } from './blend-compressed.js'
import { withSource, type ByteSource } from './byte-source.js'
import type { PreviewParts } from './types.js'

/**
 * Blender .blend: counts from the file's blocks without Blender. The file is a header
 * ("BLENDER", pointer size, endianness, version) and a list of blocks, each with a 4-char code
 * (OB object, ME mesh, MA material, IM image, AC action, …) and a length; walking the block headers
 * gives what the file holds. Geometry would need Blender's DNA, so there is no image. A compressed
 * .blend (gzip before Blender 3.0, zstd since) is walked through its decompressed stream.
 */
const CODES: Record<string, string> = { OB: 'objects', ME: 'meshes', MA: 'materials', IM: 'images', AC: 'actions', CA: 'cameras', LA: 'lights', SC: 'scenes', TE: 'textures', GR: 'collections', NT: 'nodeTrees', AR: 'armatures', CU: 'curves', WO: 'worlds' }
const MAX_BLOCKS = 10_000_000

/** What the block walk needs: the uncompressed file's bytes read in order, skipping block bodies. */
export interface BlendReader {
  take: (n: number, what: string) => Promise<Uint8Array>
  skip: (n: number, what: string) => Promise<void>
  /** bytes left, when known (a plain file); null for a decompressed stream */
  remaining: () => number | null
  /** true once every byte has been read */
  atEnd: () => Promise<boolean>
}

export async function blendPreview (path: string): Promise<PreviewParts> {
  return await withSource(path, async src => {
    const head = await src.take(Math.min(17, src.size), 'blend header')
    const gzip = head[0] === 0x1f && head[1] === 0x8b
    const zstd = head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd
    if (!gzip && !zstd) {
      src.seek(0)
      return await walkBlend(path, fileReader(src), null)
    }
    return await blendStream(path, src, gzip ? 'gzip' : 'zstd', async (reader) => await walkBlend(path, reader, gzip ? 'gzip' : 'zstd'))
  })
}

function fileReader (src: ByteSource): BlendReader {
  return {
    take: async (n, what) => await src.take(n, what),
    skip: async (n, what) => { src.skip(n, what) },
    remaining: () => src.remaining,
    atEnd: async () => src.remaining === 0
  }
}

async function walkBlend (path: string, r: BlendReader, compression: 'gzip' | 'zstd' | null): Promise<PreviewParts> {
  const remaining = r.remaining()
  if (remaining !== null && remaining < 12) throw GasError.malformedAsset(path, 'not a valid .blend: missing "BLENDER" header')
  const head = await r.take(12, 'blend header')
  if (String.fromCharCode(...head.subarray(0, 7)) !== 'BLENDER') throw GasError.malformedAsset(path, `not a valid .blend: missing "BLENDER" header${compression === null ? '' : ` after ${compression} decompression`}`)
  // Blender 5 files: "BLENDER17-01v0500" (17-byte header, 64-bit block headers); older: "BLENDER-v279"
  const large = head[7] === 0x31 && head[8] === 0x37
  const full = large ? new Uint8Array([...head, ...await r.take(5, 'blend header')]) : head
  const pointer = large ? 8 : head[7] === 0x2d ? 8 : head[7] === 0x5f ? 4 : 0
  const little = large ? full[12] === 0x76 : head[8] === 0x76
  if (pointer === 0) throw GasError.malformedAsset(path, 'not a valid .blend: unknown pointer size')
  const version = large ? String.fromCharCode(...full.subarray(13, 17)) : String.fromCharCode(...head.subarray(9, 12))
  const blockHeader = large ? 4 + 4 + 8 + 8 + 8 : 4 + 4 + pointer + 4 + 4
  const counts: Record<string, number> = {}
  let blocks = 0; let ended = false
  while (blocks < MAX_BLOCKS) {
    const left = r.remaining()
    if (left !== null ? left < blockHeader : await r.atEnd()) break
    const h = await r.take(blockHeader, 'blend block header')
    const code = String.fromCharCode(h[0], h[1], h[2], h[3]).replace(/\0/g, '')
    if (code === 'ENDB') { ended = true; break }
    const dv = new DataView(h.buffer, h.byteOffset, h.length)
    const length = large ? Number(dv.getBigUint64(16, little)) : dv.getUint32(4, little)
    blocks++
    const name = CODES[code.slice(0, 2)]
    if (name !== undefined && code.length === 2) counts[name] = (counts[name] ?? 0) + 1
    const after = r.remaining()
    if (after !== null && length > after) throw GasError.malformedAsset(path, `truncated: .blend block ${code} of ${length} bytes runs past the end`)
    await r.skip(length, 'blend block')
  }
  if (!ended && blocks < MAX_BLOCKS) throw GasError.malformedAsset(path, 'truncated: .blend ends before its ENDB block')
  const v = Number(version)
  const info: Record<string, unknown> = { blenderVersion: Number.isFinite(v) ? (large ? `${Math.floor(v / 100)}.${v % 100}` : `${version[0]}.${version.slice(1)}`) : version, pointerSize: pointer, blocks, ...counts }
  if (compression !== null) info.compression = compression
  return { info, image: null, clip: null, meta: {} }
}
