import { createReadStream } from 'node:fs'
import { createGunzip } from 'node:zlib'
import { GasError } from '../errors.js'
import type { BlendReader } from './blend.js'
import type { ByteSource } from './byte-source.js'

/**
 * The decompressed bytes of a compressed .blend, streamed to the block walk: gzip (Blender before
 * 3.0) through zlib's streaming gunzip; zstd (Blender 3.0 on, which writes many small frames: the
 * "seekable" layout) one frame at a time through the store's zstd codec (@toondepauw/node-zstd,
 * which decodes whole frames only, so a frame over MAX_FRAME_BYTES is E_NO_PREVIEW). Frames are
 * found from their block headers (RFC 8878), so a plain multi-frame zstd file works too.
 */
const MAX_FRAME_BYTES = 64 * 1024 * 1024
const READ_BYTES = 1024 * 1024
const ZSTD_MAGIC = 0xfd2fb528

export async function blendStream<T> (path: string, src: ByteSource, kind: 'gzip' | 'zstd', walk: (r: BlendReader) => Promise<T>): Promise<T> {
  if (kind === 'gzip') {
    const gunzip = createReadStream(path, { highWaterMark: READ_BYTES }).pipe(createGunzip())
    try { return await walk(new ChunkReader(gunzip[Symbol.asyncIterator](), path, kind)) } finally { gunzip.destroy() }
  }
  const m = await import('@toondepauw/node-zstd') as any
  const decoder = new (m.Decoder ?? m.default.Decoder)()
  return await walk(new ChunkReader(zstdFrames(src, (b: Buffer) => decoder.decodeSync(b) as Buffer), path, kind))
}

/** Each zstd frame's decompressed bytes in order; skippable frames (the seek table) are passed over. */
async function * zstdFrames (src: ByteSource, decode: (frame: Buffer) => Buffer): AsyncGenerator<Uint8Array> {
  let offset = 0
  while (offset < src.size) {
    const head = await src.readAt(offset, Math.min(18, src.size - offset), 'zstd frame header')
    const dv = new DataView(head.buffer, head.byteOffset, head.length)
    if (head.length < 8) throw GasError.malformedAsset(src.path, `truncated: zstd frame header at offset ${offset}`)
    const magic = dv.getUint32(0, true)
    if ((magic & 0xfffffff0) === 0x184d2a50) { offset += 8 + dv.getUint32(4, true); continue }
    if (magic !== ZSTD_MAGIC) throw GasError.malformedAsset(src.path, `not a zstd frame at offset ${offset} of the compressed .blend`)
    const size = await zstdFrameSize(src, offset, head)
    // the codec decodes a frame whole with no bound of its own: only a frame that states its size (and is held to it) is decoded
    if (size.content === null) throw new GasError('E_NO_PREVIEW', 'no preview for a zstd-compressed .blend whose frames do not state their size (written from a stream; Blender states it)', { path: src.path })
    if (size.content > MAX_FRAME_BYTES || size.compressed > MAX_FRAME_BYTES) {
      throw new GasError('E_NO_PREVIEW', `no preview for a zstd-compressed .blend with a ${size.content > MAX_FRAME_BYTES ? size.content : size.compressed}-byte frame (Blender writes small frames; over ${MAX_FRAME_BYTES} bytes is not read whole)`, { path: src.path })
    }
    const frame = Buffer.from(await src.readAt(offset, size.compressed, 'zstd frame'))
    let out: Buffer
    try { out = decode(frame) } catch (err) { throw GasError.malformedAsset(src.path, `cannot decompress zstd frame at offset ${offset}: ${(err as Error)?.message ?? String(err)}`) }
    offset += size.compressed
    if (out.length > 0) yield out
  }
}

/** A zstd frame's compressed length (header, blocks, checksum) and its declared content size (null when absent). */
async function zstdFrameSize (src: ByteSource, offset: number, head: Uint8Array): Promise<{ compressed: number, content: number | null }> {
  const fhd = head[4]
  const fcsFlag = fhd >> 6; const single = (fhd >> 5) & 1; const checksum = (fhd >> 2) & 1; const dictFlag = fhd & 3
  const dictBytes = [0, 1, 2, 4][dictFlag]
  const fcsBytes = fcsFlag === 0 ? single : [1, 2, 4, 8][fcsFlag]
  const headerBytes = 5 + (single === 1 ? 0 : 1) + dictBytes + fcsBytes
  if (head.length < headerBytes) throw GasError.malformedAsset(src.path, `truncated: zstd frame header at offset ${offset}`)
  let content: number | null = fcsBytes === 0 ? null : 0
  const at = headerBytes - fcsBytes
  for (let i = fcsBytes - 1; i >= 0; i--) content = (content ?? 0) * 256 + head[at + i]
  if (fcsBytes === 2 && content !== null) content += 256
  let pos = offset + headerBytes
  for (;;) {
    if (pos - offset > MAX_FRAME_BYTES) return { compressed: pos - offset, content }
    const b = await src.readAt(pos, 3, 'zstd block header')
    const h = b[0] | (b[1] << 8) | (b[2] << 16)
    const last = h & 1; const type = (h >> 1) & 3; const size = h >> 3
    if (type === 3) throw GasError.malformedAsset(src.path, `reserved zstd block type at offset ${pos}`)
    pos += 3 + (type === 1 ? 1 : size)
    if (last === 1) break
  }
  pos += checksum * 4
  if (pos > src.size) throw GasError.malformedAsset(src.path, `truncated: zstd frame at offset ${offset} runs past the end`)
  return { compressed: pos - offset, content }
}

/** Reads and skips across decompressed chunks as they come; nothing is kept beyond the current chunk. */
class ChunkReader implements BlendReader {
  private buf: Uint8Array = new Uint8Array(0)
  private pos = 0
  constructor (private readonly chunks: AsyncIterator<Uint8Array>, private readonly path: string, private readonly kind: string) {}

  private async fill (): Promise<boolean> {
    let next: IteratorResult<Uint8Array>
    try { next = await this.chunks.next() } catch (err) {
      if (err instanceof GasError) throw err
      throw GasError.malformedAsset(this.path, `cannot decompress .blend (${this.kind}): ${(err as Error)?.message ?? String(err)}`)
    }
    if (next.done === true) return false
    const rest = this.buf.subarray(this.pos)
    this.buf = rest.length === 0 ? next.value : Buffer.concat([rest, next.value])
    this.pos = 0
    return true
  }

  private truncated (what: string): GasError { return GasError.malformedAsset(this.path, `truncated: ${what} runs past the end of the decompressed .blend`) }

  async take (n: number, what: string): Promise<Uint8Array> {
    while (this.buf.length - this.pos < n) if (!await this.fill()) throw this.truncated(what)
    const out = this.buf.subarray(this.pos, this.pos + n)
    this.pos += n
    return out
  }

  async skip (n: number, what: string): Promise<void> {
    while (n > this.buf.length - this.pos) {
      n -= this.buf.length - this.pos
      this.pos = this.buf.length
      if (!await this.fill()) throw this.truncated(what)
    }
    this.pos += n
  }

  remaining (): null { return null }

  async atEnd (): Promise<boolean> {
    while (this.buf.length - this.pos === 0) if (!await this.fill()) return true
    return false
  }
}
