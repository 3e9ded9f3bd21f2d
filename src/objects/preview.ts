import { GasError } from '../errors.js'
import { canonicalJson, decodeCanonical, Fields } from './canonical-json.js'

/**
 * `preview` object: what a member sees before deciding to fetch an asset — facts, a thumbnail, a
 * short clip — or, for a malformed asset, the error its generator raised (so every peer knows
 * without the content). Layout: "GASV" | version u8 = 1 | header length u32 | canonical JSON header
 * | image bytes | clip bytes. Binary because the image is most of it.
 */
export interface PreviewObject {
  kind: string
  format: string
  info: Record<string, unknown>
  image: { format: 'webp' | 'png', width: number, height: number, bytes: Uint8Array } | null
  clip: { format: 'wav', bytes: Uint8Array } | null
  error: { code: string, message: string } | null
}

const MAGIC = Buffer.from('GASV')
/** Header cap: info is a handful of numbers and names (an archive's file list is truncated before). */
const MAX_HEADER = 1024 * 1024

export function encodePreview (p: PreviewObject): Uint8Array {
  const header = Buffer.from(canonicalJson({
    kind: p.kind,
    format: p.format,
    info: p.info,
    image: p.image === null ? null : { format: p.image.format, width: p.image.width, height: p.image.height, length: p.image.bytes.length },
    clip: p.clip === null ? null : { format: p.clip.format, length: p.clip.bytes.length },
    error: p.error
  }), 'utf8')
  const out = Buffer.alloc(9)
  MAGIC.copy(out, 0)
  out.writeUInt8(1, 4)
  out.writeUInt32BE(header.length, 5)
  return Buffer.concat([out, header, p.image?.bytes ?? Buffer.alloc(0), p.clip?.bytes ?? Buffer.alloc(0)])
}

export function decodePreview (body: Uint8Array): PreviewObject {
  const buf = Buffer.from(body.buffer, body.byteOffset, body.byteLength)
  const corrupt = (why: string): never => { throw new GasError('E_CORRUPT_OBJECT', `preview: ${why}`) }
  if (buf.length < 9 || !buf.subarray(0, 4).equals(MAGIC)) corrupt('bad magic')
  if (buf.readUInt8(4) !== 1) corrupt('unsupported version')
  const headerLength = buf.readUInt32BE(5)
  if (headerLength > MAX_HEADER || 9 + headerLength > buf.length) corrupt('header length out of range')
  const f = Fields.of(decodeCanonical(buf.subarray(9, 9 + headerLength), 'preview'), 'preview')
  let offset = 9 + headerLength
  const take = (length: number): Uint8Array => {
    if (!Number.isSafeInteger(length) || length < 0 || offset + length > buf.length) corrupt('payload shorter than its header says')
    const bytes = buf.subarray(offset, offset + length)
    offset += length
    return bytes
  }
  const image = f.optionalObject('image')
  const clip = f.optionalObject('clip')
  const error = f.optionalObject('error')
  const result: PreviewObject = {
    kind: f.string('kind'),
    format: f.string('format'),
    info: f.object('info').value,
    image: image === null ? null : { format: image.string('format') === 'png' ? 'png' : 'webp', width: image.integer('width'), height: image.integer('height'), bytes: take(image.integer('length')) },
    clip: clip === null ? null : { format: 'wav', bytes: take(clip.integer('length')) },
    error: error === null ? null : { code: error.string('code'), message: error.string('message') }
  }
  if (offset !== buf.length) corrupt('trailing bytes')
  return result
}
