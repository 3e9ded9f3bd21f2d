import { GasError } from '../errors.js'
import type { ByteSource } from './byte-source.js'
import { MAX_LISTED_ENTRIES, MAX_ZIP_DIRECTORY_BYTES } from './limits.js'

/**
 * Zip listing from the central directory alone (end of file), so a 10 GB build archive costs a
 * few reads. Our own parser: fflate is present only as a transitive dependency and unzips from
 * a whole in-memory buffer, which is exactly what a preview must not do.
 */

export interface ArchiveEntry { name: string, size: number, compressedSize: number, directory: boolean }
export interface ArchiveListing { entries: ArchiveEntry[], entryCount: number, files: number, directories: number, totalSize: number, totalCompressedSize: number, encrypted: boolean, truncatedListing: boolean }

const EOCD = 0x06054b50
const ZIP64_LOCATOR = 0x07064b50
const ZIP64_EOCD = 0x06064b50
const CENTRAL = 0x02014b50
/** EOCD record plus the longest possible archive comment. */
const EOCD_SEARCH = 22 + 0xffff

export async function listZip (src: ByteSource): Promise<ArchiveListing> {
  const bad = (why: string): GasError => GasError.malformedAsset(src.path, `not a valid zip: ${why}`)
  if (src.size < 22) throw bad('shorter than an end-of-central-directory record')
  const tailStart = Math.max(0, src.size - EOCD_SEARCH)
  const tail = await src.readAt(tailStart, src.size - tailStart, 'zip tail')
  const tdv = new DataView(tail.buffer)
  let at = -1
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tdv.getUint32(i, true) === EOCD && i + 22 + tdv.getUint16(i + 20, true) <= tail.length) { at = i; break }
  }
  if (at < 0) throw bad('no end-of-central-directory record')
  let count = tdv.getUint16(at + 10, true)
  let cdSize = tdv.getUint32(at + 12, true)
  let cdOffset = tdv.getUint32(at + 16, true)
  const eocdOffset = tailStart + at
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    if (at < 20 || tdv.getUint32(at - 20, true) !== ZIP64_LOCATOR) throw bad('zip64 sizes without a zip64 locator')
    const z64 = await src.readAt(Number(tdv.getBigUint64(at - 20 + 8, true)), 56, 'zip64 end record')
    const zdv = new DataView(z64.buffer)
    if (zdv.getUint32(0, true) !== ZIP64_EOCD) throw bad('zip64 locator points to no zip64 end record')
    count = Number(zdv.getBigUint64(32, true)); cdSize = Number(zdv.getBigUint64(40, true)); cdOffset = Number(zdv.getBigUint64(48, true))
  }
  if (cdOffset + cdSize > eocdOffset) throw bad(`central directory (${cdSize} bytes at ${cdOffset}) overlaps its end record at ${eocdOffset}`)
  if (cdSize > MAX_ZIP_DIRECTORY_BYTES) throw GasError.malformedAsset(src.path, `zip central directory of ${cdSize} bytes is over the ${MAX_ZIP_DIRECTORY_BYTES}-byte preview limit`)
  // every entry takes at least 46 bytes: a count the directory cannot hold is a lie
  if (count * 46 > cdSize) throw bad(`${count} entries cannot fit in a ${cdSize}-byte central directory`)
  const cd = await src.readAt(cdOffset, cdSize, 'zip central directory')
  const dv = new DataView(cd.buffer)
  const listing: ArchiveListing = { entries: [], entryCount: count, files: 0, directories: 0, totalSize: 0, totalCompressedSize: 0, encrypted: false, truncatedListing: count > MAX_LISTED_ENTRIES }
  const latin1 = new TextDecoder('latin1'); const utf8 = new TextDecoder('utf-8')
  let p = 0
  for (let i = 0; i < count; i++) {
    if (p + 46 > cd.length || dv.getUint32(p, true) !== CENTRAL) throw bad(`central directory entry ${i} is damaged`)
    const flags = dv.getUint16(p + 8, true)
    let compressedSize = dv.getUint32(p + 20, true)
    let size = dv.getUint32(p + 24, true)
    const nameLen = dv.getUint16(p + 28, true); const extraLen = dv.getUint16(p + 30, true); const commentLen = dv.getUint16(p + 32, true)
    if (p + 46 + nameLen + extraLen + commentLen > cd.length) throw bad(`central directory entry ${i} runs past the directory`)
    const nameBytes = cd.subarray(p + 46, p + 46 + nameLen)
    const name = ((flags & 0x800) !== 0 ? utf8 : latin1).decode(nameBytes)
    // zip64 extra field (id 1) carries the real sizes when the 32-bit ones are saturated
    let e = p + 46 + nameLen
    const extraEnd = e + extraLen
    while (e + 4 <= extraEnd) {
      const id = dv.getUint16(e, true); const len = dv.getUint16(e + 2, true)
      if (id === 1) {
        let q = e + 4
        if (size === 0xffffffff && q + 8 <= e + 4 + len) { size = Number(dv.getBigUint64(q, true)); q += 8 }
        if (compressedSize === 0xffffffff && q + 8 <= e + 4 + len) compressedSize = Number(dv.getBigUint64(q, true))
      }
      e += 4 + len
    }
    const directory = name.endsWith('/')
    if (directory) listing.directories++; else listing.files++
    listing.totalSize += size; listing.totalCompressedSize += compressedSize
    if ((flags & 1) !== 0) listing.encrypted = true
    if (listing.entries.length < MAX_LISTED_ENTRIES) listing.entries.push({ name, size, compressedSize, directory })
    p += 46 + nameLen + extraLen + commentLen
  }
  return listing
}
