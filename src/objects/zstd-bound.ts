/**
 * The most bytes a zstd stream can decode to, read from its frame and block headers without
 * decoding. why: a few KiB of zstd can claim gigabytes (a "zstd bomb"), and the native decoder
 * allocates whatever the stream produces; a peer's BLOCK must be refused before that, from the
 * bytes present. Hand-written because no zstd binding here can cap its output (Node 20's zlib has
 * no zstd; @toondepauw/node-zstd decodes whole). Layout per RFC 8878 §3.1.
 * Returns undefined when the stream is malformed (truncated header, reserved bits or block type).
 */
const ZSTD_MAGIC = 0xfd2fb528
const SKIPPABLE_MASK = 0xfffffff0
const SKIPPABLE_MAGIC = 0x184d2a50
/** RFC 8878 §3.1.1.2.4: Block_Maximum_Size is the smaller of Window_Size and 128 KiB */
const MAX_BLOCK_BYTES = 128 * 1024

export function zstdDecodedBound (bytes: Uint8Array): number | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let offset = 0
  let bound = 0
  if (bytes.byteLength === 0) return undefined
  while (offset < bytes.byteLength) {
    if (offset + 4 > bytes.byteLength) return undefined
    const magic = view.getUint32(offset, true)
    offset += 4
    if ((magic & SKIPPABLE_MASK) >>> 0 === SKIPPABLE_MAGIC) {
      if (offset + 4 > bytes.byteLength) return undefined
      offset += 4 + view.getUint32(offset, true)
      if (offset > bytes.byteLength) return undefined
      continue
    }
    if (magic !== ZSTD_MAGIC) return undefined
    const frame = frameBound(view, offset)
    if (frame === undefined) return undefined
    bound += frame.bound
    offset = frame.end
  }
  return bound
}

function frameBound (view: DataView, start: number): { bound: number, end: number } | undefined {
  let offset = start
  if (offset + 1 > view.byteLength) return undefined
  const descriptor = view.getUint8(offset++)
  const fcsFlag = descriptor >> 6
  const singleSegment = (descriptor & 0x20) !== 0
  if ((descriptor & 0x08) !== 0) return undefined // reserved bit
  const checksum = (descriptor & 0x04) !== 0
  const dictBytes = [0, 1, 2, 4][descriptor & 0x03]
  let windowSize = 0
  if (!singleSegment) {
    if (offset + 1 > view.byteLength) return undefined
    const wd = view.getUint8(offset++)
    const windowBase = 2 ** (10 + (wd >> 3))
    windowSize = windowBase + (windowBase / 8) * (wd & 0x07)
  }
  offset += dictBytes
  const fcsBytes = [singleSegment ? 1 : 0, 2, 4, 8][fcsFlag]
  if (offset + fcsBytes > view.byteLength) return undefined
  if (singleSegment) {
    // the window is the content size (FCS), which this then reads
    windowSize = fcsBytes === 1 ? view.getUint8(offset) : fcsBytes === 2 ? view.getUint16(offset, true) + 256 : fcsBytes === 4 ? view.getUint32(offset, true) : Number(view.getBigUint64(offset, true))
  }
  offset += fcsBytes
  const maxBlock = Math.min(windowSize, MAX_BLOCK_BYTES)
  let bound = 0
  for (;;) {
    if (offset + 3 > view.byteLength) return undefined
    const header = view.getUint8(offset) | (view.getUint8(offset + 1) << 8) | (view.getUint8(offset + 2) << 16)
    offset += 3
    const last = (header & 1) !== 0
    const type = (header >> 1) & 3
    const size = header >>> 3
    if (type === 3) return undefined
    if (type === 1) {
      bound += size
      offset += 1
    } else {
      bound += type === 0 ? size : maxBlock
      offset += size
    }
    if (offset > view.byteLength) return undefined
    if (last) break
  }
  if (checksum) offset += 4
  if (offset > view.byteLength) return undefined
  return { bound, end: offset }
}
