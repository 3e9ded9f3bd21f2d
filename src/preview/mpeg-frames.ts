import { GasError } from '../errors.js'
import { AudioUnits, type IndexedStream } from './audio-units.js'
import type { ByteSource } from './byte-source.js'

/**
 * MPEG audio (layers I–III, MPEG 1 / 2 / 2.5) frame scanner. Counting frames ourselves gives the
 * exact duration of files whose header lies or is missing (VBR without a Xing frame, MPEG-2.5),
 * which music-metadata estimates from the first frame's bitrate.
 */

const BITRATES: Record<string, number[]> = {
  '1-1': [0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448],
  '1-2': [0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384],
  '1-3': [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
  '2-1': [0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256],
  '2-2': [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160]
}
const RATES: Record<number, number[]> = { 1: [44100, 48000, 32000], 2: [22050, 24000, 16000], 25: [11025, 12000, 8000] }

export interface FrameHeader { version: 1 | 2 | 25, layer: 1 | 2 | 3, sampleRate: number, channels: number, length: number, samples: number, bitrate: number }

/** Decodes a 4-byte frame header; null when the bytes are not one (or free-format, which has no length). */
export function frameHeader (b: Uint8Array, o: number): FrameHeader | null {
  if (b[o] !== 0xff || (b[o + 1] & 0xe0) !== 0xe0) return null
  const v = (b[o + 1] >> 3) & 3; const l = (b[o + 1] >> 1) & 3
  const bri = b[o + 2] >> 4; const sri = (b[o + 2] >> 2) & 3
  if (v === 1 || l === 0 || bri === 0 || bri === 15 || sri === 3) return null
  const version = v === 3 ? 1 : v === 2 ? 2 : 25
  const layer = (4 - l) as 1 | 2 | 3
  const sampleRate = RATES[version][sri]
  const bitrate = BITRATES[version === 1 ? `1-${layer}` : `2-${layer === 1 ? 1 : 2}`][bri] * 1000
  const pad = (b[o + 2] >> 1) & 1
  const channels = (b[o + 3] >> 6) === 3 ? 1 : 2
  let length: number; let samples: number
  if (layer === 1) { length = (Math.floor(12 * bitrate / sampleRate) + pad) * 4; samples = 384 } else if (layer === 2 || version === 1) { length = Math.floor(144 * bitrate / sampleRate) + pad; samples = 1152 } else { length = Math.floor(72 * bitrate / sampleRate) + pad; samples = 576 }
  return { version, layer, sampleRate, channels, length, samples, bitrate }
}

/** Bytes of an ID3v2 tag at the window's position (0 when there is none). */
export function id3Length (b: Uint8Array, o: number, available: number): number {
  if (available < 10 || b[o] !== 0x49 || b[o + 1] !== 0x44 || b[o + 2] !== 0x33) return 0
  const size = ((b[o + 6] & 0x7f) << 21) | ((b[o + 7] & 0x7f) << 14) | ((b[o + 8] & 0x7f) << 7) | (b[o + 9] & 0x7f)
  return 10 + size + ((b[o + 5] & 0x10) !== 0 ? 10 : 0)
}

/**
 * Indexes the MPEG frames in [start, end) of the file (the whole file after any ID3v2 tag, or a
 * WAV's data chunk). A frame counts once the next one (or the end) follows it exactly, so stray
 * sync bytes in tags or garbage are skipped rather than taken for audio.
 */
export async function indexMpegFrames (src: ByteSource, start: number, end: number): Promise<IndexedStream> {
  src.seek(start)
  if (start === 0) {
    await src.need(Math.min(10, src.size))
    const tag = id3Length(src.bytes, src.pos, src.available)
    if (tag > 0) src.seek(Math.min(end, tag), 'ID3v2 tag')
  }
  const units = new AudioUnits()
  let first: FrameHeader | null = null
  let samples = 0; let bitrateSum = 0; let skipped = 0
  let delay = 0; let padding = 0; let xing = false
  const matches = (h: FrameHeader | null): h is FrameHeader => h !== null && (first === null || (h.version === first.version && h.layer === first.layer && h.sampleRate === first.sampleRate))
  while (end - src.offset >= 4) {
    await src.need(Math.min(end - src.offset, 8), 'MPEG frame header')
    const h = frameHeader(src.bytes, src.pos)
    if (!matches(h) || h.length > end - src.offset) { src.pos++; skipped++; continue }
    const at = src.offset
    // confirm with the next header unless this frame ends the range
    if (at + h.length + 4 <= end) {
      await src.need(h.length + 4, 'MPEG frame')
      if (!matches(frameHeader(src.bytes, src.pos + h.length))) { src.pos++; skipped++; continue }
    }
    if (first === null) {
      first = h
      const tag = await xingTag(src, at, h)
      if (tag !== null) { xing = true; delay = tag.delay; padding = tag.padding; src.skip(h.length); continue }
    }
    units.push(at, h.length, samples)
    samples += h.samples; bitrateSum += h.bitrate
    src.skip(h.length)
  }
  if (first === null || units.count === 0) throw GasError.malformedAsset(src.path, 'no MPEG audio frames found')
  units.totalSamples = Math.max(0, samples - delay - padding)
  const codec = first.layer === 3 ? 'mp3' : first.layer === 2 ? 'mp2' : 'mp1'
  const vbr = units.count > 1 && bitrateSum / units.count !== first.bitrate
  return {
    codec,
    sampleRate: first.sampleRate,
    channels: first.channels,
    units,
    header: { offset: 0, length: 0 },
    // layer III frames borrow bits from up to 511 bytes before them (the bit reservoir)
    primeUnits: first.layer === 3 ? 2 : 1,
    // mpg123 hands out a frame's samples one granule late and its synthesis keeps 512 samples of history: the first 1152 after a jump mix runs (peak checked against ffmpeg's volumedetect)
    discardSamples: 1152,
    info: { codec: `MPEG ${first.version === 25 ? '2.5' : first.version} Layer ${'I'.repeat(first.layer)}`, bitrate: Math.round(bitrateSum / units.count), vbr, frames: units.count, xingHeader: xing, ...(skipped > 0 ? { skippedBytes: skipped } : {}) }
  }
}

/** The Xing/Info frame (and its LAME extension: encoder delay and padding) that VBR encoders put first. */
async function xingTag (src: ByteSource, at: number, h: FrameHeader): Promise<{ delay: number, padding: number } | null> {
  const side = h.version === 1 ? (h.channels === 1 ? 17 : 32) : (h.channels === 1 ? 9 : 17)
  if (h.layer !== 3 || h.length < 4 + side + 8) return null
  const b = await src.readAt(at, h.length, 'Xing frame')
  const o = 4 + side
  const id = String.fromCharCode(b[o], b[o + 1], b[o + 2], b[o + 3])
  if (id !== 'Xing' && id !== 'Info') return null
  const flags = b[o + 7]
  const lame = o + 8 + ((flags & 1) !== 0 ? 4 : 0) + ((flags & 2) !== 0 ? 4 : 0) + ((flags & 4) !== 0 ? 100 : 0) + ((flags & 8) !== 0 ? 4 : 0)
  // LAME writes "LAME", ffmpeg "Lavc"/"Lavf": the same layout, delay and padding 21 bytes in
  if (lame + 24 > b.length || !/^(LAME|Lav[cf]|GOGO|L3\.9)/.test(String.fromCharCode(...b.subarray(lame, lame + 4)))) return { delay: 0, padding: 0 }
  const d = lame + 21
  return { delay: (b[d] << 4) | (b[d + 1] >> 4), padding: ((b[d + 1] & 0x0f) << 8) | b[d + 2] }
}
