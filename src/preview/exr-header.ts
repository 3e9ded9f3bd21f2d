import { GasError } from '../errors.js'

/**
 * The attribute list of an OpenEXR header, walked with bounds checks before three's EXRLoader
 * sees the file: the loader scans names for their terminating zero without a bound, so a header
 * cut short spins forever (found by fuzzing). Every name and type must end inside the file, every
 * value fit in it, and the list end with its empty name (multi-part: each part's list, then an
 * empty one). Returns the dataWindow's size, so a lying size is refused before decoding.
 */
const MAX_NAME = 255
const MAX_ATTRIBUTES = 10_000

export function exrHeaderSize (b: Uint8Array, path: string): { width: number, height: number } | null {
  const bad = (why: string): GasError => GasError.malformedAsset(path, `not a valid OpenEXR: ${why}`)
  if (b.length < 9) throw bad('truncated before its header')
  const multiPart = (b[5] & 0x10) !== 0
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength)
  let o = 8
  let size: { width: number, height: number } | null = null
  const name = (what: string): string => {
    const end = b.indexOf(0, o)
    if (end < 0 || end - o > MAX_NAME) throw bad(`${what} at offset ${o} has no terminating zero (truncated header)`)
    const s = Buffer.from(b.buffer, b.byteOffset + o, end - o).toString('latin1')
    o = end + 1
    return s
  }
  let attributes = 0
  for (;;) {
    let inPart = 0
    for (;;) {
      const attribute = name('attribute name')
      if (attribute === '') break
      if (++attributes > MAX_ATTRIBUTES) throw bad(`more than ${MAX_ATTRIBUTES} header attributes`)
      inPart++
      const type = name(`type of attribute "${attribute}"`)
      if (o + 4 > b.length) throw bad(`truncated in attribute "${attribute}"`)
      const n = dv.getInt32(o, true); o += 4
      if (n < 0 || o + n > b.length) throw bad(`attribute "${attribute}" of ${n} bytes runs past the end of the file`)
      if (attribute === 'dataWindow' && type === 'box2i' && n === 16 && size === null) {
        const width = dv.getInt32(o + 8, true) - dv.getInt32(o, true) + 1
        const height = dv.getInt32(o + 12, true) - dv.getInt32(o + 4, true) + 1
        if (!(width > 0 && height > 0)) throw bad(`dataWindow of ${width}×${height} pixels`)
        size = { width, height }
      }
      o += n
    }
    if (!multiPart || inPart === 0) break
  }
  return size
}
