import { GasError } from '../errors.js'
import type { ByteSource } from './byte-source.js'
import type { ArchiveListing } from './zip.js'
import { MAX_LISTED_ENTRIES } from './limits.js'

/** Tar listing by hopping from header to header; file contents are skipped, never read. */
export async function listTar (src: ByteSource): Promise<ArchiveListing> {
  const bad = (why: string): GasError => GasError.malformedAsset(src.path, `not a valid tar: ${why}`)
  const listing: ArchiveListing = { entries: [], entryCount: 0, files: 0, directories: 0, totalSize: 0, totalCompressedSize: 0, encrypted: false, truncatedListing: false }
  let longName: string | null = null
  const text = new TextDecoder('utf-8')
  const field = (h: Uint8Array, o: number, n: number): string => { const s = h.subarray(o, o + n); const z = s.indexOf(0); return text.decode(z >= 0 ? s.subarray(0, z) : s) }
  for (;;) {
    if (src.remaining < 512) {
      if (listing.entryCount === 0) throw bad('shorter than one header block')
      break // archives cut after the last entry still list fine
    }
    const h = await src.take(512, 'tar header')
    if (h.every(b => b === 0)) break
    let sum = 0
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : h[i]
    const stored = parseInt(field(h, 148, 8).trim() || 'x', 8)
    if (stored !== sum) throw bad(`header checksum mismatch at offset ${src.offset - 512}`)
    const size = parseOctal(h.subarray(124, 136))
    if (size === null) throw bad(`bad size field at offset ${src.offset - 512}`)
    const type = String.fromCharCode(h[156] === 0 ? 48 : h[156])
    const padded = Math.ceil(size / 512) * 512
    if (type === 'L' || type === 'x') {
      // GNU long name / PAX record: the next entry's real path is in this one's body
      const body = await src.take(Math.min(size, 65536), 'tar long name')
      src.skip(padded - body.length, 'tar long name')
      if (type === 'L') longName = field(body, 0, body.length)
      else { const m = /\d+ path=([^\n]*)\n/.exec(text.decode(body)); if (m !== null) longName = m[1] }
      continue
    }
    const prefix = h[257] === 0x75 ? field(h, 345, 155) : '' // 'ustar' splits long paths into prefix + name
    const name = longName ?? (prefix !== '' ? `${prefix}/${field(h, 0, 100)}` : field(h, 0, 100))
    longName = null
    const directory = type === '5'
    listing.entryCount++
    if (directory) listing.directories++; else listing.files++
    listing.totalSize += size; listing.totalCompressedSize += size
    if (listing.entries.length < MAX_LISTED_ENTRIES) listing.entries.push({ name, size, compressedSize: size, directory })
    else listing.truncatedListing = true
    if (padded > src.remaining) throw GasError.malformedAsset(src.path, `truncated: tar entry ${name} needs ${size} bytes but only ${src.remaining} remain`)
    src.skip(padded)
  }
  return listing
}

/** Octal size, or GNU base-256 when the top bit is set (files over 8 GiB). */
function parseOctal (b: Uint8Array): number | null {
  if ((b[0] & 0x80) !== 0) { let v = b[0] & 0x7f; for (let i = 1; i < b.length; i++) v = v * 256 + b[i]; return v }
  const s = String.fromCharCode(...b).replace(/\0.*$/s, '').trim()
  if (s === '') return 0
  return /^[0-7]+$/.test(s) ? parseInt(s, 8) : null
}
