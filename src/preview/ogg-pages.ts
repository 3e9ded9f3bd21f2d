import { GasError } from '../errors.js'
import { AudioUnits, type IndexedStream } from './audio-units.js'
import type { ByteSource } from './byte-source.js'

/**
 * Ogg page scanner for Vorbis and Opus streams: header pages (which every decoder needs first),
 * then one unit per audio page with its first sample from the previous page's granule position.
 * The last granule gives the exact length; Opus always decodes at 48 kHz whatever rate the
 * encoder was fed (that input rate is kept as a fact).
 */

/** Packets a decoder needs before audio: identification, comment, setup (Vorbis) / head, tags (Opus). */
const HEADER_PACKETS = { vorbis: 3, opus: 2 } as const

export async function indexOggPages (src: ByteSource): Promise<IndexedStream> {
  const bad = (why: string): GasError => GasError.malformedAsset(src.path, `not a valid Ogg stream: ${why}`)
  const units = new AudioUnits()
  let codec: 'vorbis' | 'opus' | null = null
  let serial = -1
  let packets = 0; let headerEnd = 0
  let sampleRate = 0; let channels = 0; let preSkip = 0; let inputRate = 0
  let lastGranule = 0; let pages = 0; let skipped = 0
  src.seek(0)
  while (src.remaining >= 27) {
    await src.need(27, 'Ogg page header')
    const b = src.bytes; const p = src.pos
    if (b[p] !== 0x4f || b[p + 1] !== 0x67 || b[p + 2] !== 0x67 || b[p + 3] !== 0x53 || b[p + 4] !== 0) {
      if (pages === 0) throw bad('missing "OggS" capture pattern')
      src.pos++; skipped++; continue
    }
    const segments = b[p + 26]
    await src.need(27 + segments, 'Ogg segment table')
    const dv = new DataView(src.bytes.buffer, src.bytes.byteOffset + src.pos, 27 + segments)
    const granule = Number(dv.getBigInt64(6, true))
    const pageSerial = dv.getUint32(14, true)
    let body = 0; let completed = 0
    for (let i = 0; i < segments; i++) { const lace = src.bytes[src.pos + 27 + i]; body += lace; if (lace < 255) completed++ }
    const at = src.offset; const length = 27 + segments + body
    if (length > src.remaining) {
      // a page cut short by the end of the file: the audio before it still counts
      if (pages > 0) break
      throw bad('first page runs past the end of the file')
    }
    if (pages === 0) {
      await src.need(27 + segments + Math.min(body, 19), 'Ogg identification header')
      const id = src.bytes.subarray(src.pos + 27 + segments, src.pos + 27 + segments + Math.min(body, 19))
      const text = String.fromCharCode(...id.subarray(0, 8))
      serial = pageSerial
      if (text.startsWith('\x01vorbis') && id.length >= 16) {
        codec = 'vorbis'; channels = id[11]; sampleRate = new DataView(id.buffer, id.byteOffset).getUint32(12, true)
      } else if (text === 'OpusHead' && id.length >= 16) {
        codec = 'opus'; channels = id[9]; preSkip = id[10] | (id[11] << 8); inputRate = new DataView(id.buffer, id.byteOffset).getUint32(12, true); sampleRate = 48000
      } else {
        const name = text.replace(/[^\x20-\x7e]/g, '').trim()
        throw new GasError('E_NO_PREVIEW', `no preview for this Ogg codec: ${name === '' ? 'unknown' : name} (supported: Vorbis, Opus)`, { path: src.path })
      }
      if (channels < 1 || sampleRate < 1 || sampleRate > 768000) throw bad(`${channels} channels at ${sampleRate} Hz`)
    }
    pages++
    if (pageSerial === serial) {
      if (packets < HEADER_PACKETS[codec as 'vorbis' | 'opus']) {
        packets += completed
        headerEnd = at + length
      } else {
        units.push(at, length, Math.max(0, lastGranule - preSkip))
        if (granule >= 0) lastGranule = granule
      }
    }
    src.skip(length, 'Ogg page')
  }
  if (codec === null || units.count === 0) throw bad('no audio pages')
  units.totalSamples = Math.max(0, lastGranule - preSkip)
  const info: Record<string, unknown> = { codec: codec === 'vorbis' ? 'Vorbis I' : 'Opus', pages }
  if (codec === 'opus') info.inputSampleRate = inputRate
  if (skipped > 0) info.skippedBytes = skipped
  // Vorbis and Opus blocks overlap their neighbours: after a jump, the first block out of the
  // decoder (a long Vorbis block is at most 4096 samples; an Opus frame at most 2880) mixes in the
  // previous run's tail, so it is decoded but not counted — cheaper than priming with a whole page.
  // The decoder gives a page's samples out only once the next page arrives (compressed-audio.ts: owed).
  return { codec, sampleRate, channels, units, header: { offset: 0, length: headerEnd }, primeUnits: 0, discardSamples: codec === 'vorbis' ? 4096 : 2880, info }
}
