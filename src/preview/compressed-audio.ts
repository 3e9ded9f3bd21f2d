import { GasError } from '../errors.js'
import { openDecoder, type Decoded, type DecoderCodec, type StreamDecoder } from './audio-decoders.js'
import type { IndexedStream } from './audio-units.js'
import type { ByteSource } from './byte-source.js'
import { LevelMeter, type LevelsResult } from './levels.js'
import { CLIP_SAMPLE_RATE, CLIP_SECONDS, READ_BLOCK_BYTES } from './limits.js'

/**
 * Waveform, levels and clip of a compressed stream (MP3, Vorbis, Opus, FLAC) through the wasm
 * decoders. A sound up to FULL_DECODE_SECONDS is decoded whole. A longer one is decoded whole
 * over the clip's opening and then in runs spread over the rest — one run at the start of every
 * waveform column, SAMPLED_FRACTION of the column long — so a 10-minute track costs what 2 minutes
 * do: the envelope of every column comes from real samples of that column, and peak and RMS from
 * the decoded share (reported as `levelsSampled`).
 */
export const FULL_DECODE_SECONDS = 120
export const SAMPLED_FRACTION = 0.2

export interface DecodedLevels { levels: LevelsResult, decodedSamples: number, sampled: boolean, decodeErrors: number }

export async function decodeIndexed (src: ByteSource, stream: IndexedStream, columns: number, clipSamples: number): Promise<DecodedLevels> {
  const { units, sampleRate, channels } = stream
  const total = units.totalSamples
  const meter = new LevelMeter(channels, sampleRate, total, columns, CLIP_SECONDS, Math.min(CLIP_SAMPLE_RATE, sampleRate), clipSamples)
  const decoder = await openDecoder(stream.codec)
  const header = stream.header.length > 0 ? await src.readAt(stream.header.offset, stream.header.length, 'stream headers') : null
  let decodedSamples = 0; let errors = 0
  // the decoder is never reset between runs (a reset costs milliseconds: Vorbis rebuilds its
  // codebooks); the units primed before each run flush what the previous run left in its state
  if (header !== null) await decoder.decode([header])
  const run = async (first: number, last: number): Promise<void> => {
    // decoding starts primeUnits early and throws away what comes out before the run's own samples
    const from = Math.max(0, first - stream.primeUnits)
    const keepFrom = first === 0 ? 0 : units.starts[first] + stream.discardSamples
    let at = units.starts[from]
    for (let u = from; u <= last;) {
      // a block of whole, adjacent units, about READ_BLOCK_BYTES, read in one go
      let end = u; let bytes = 0
      while (end <= last && (bytes === 0 || bytes + units.lengths[end] <= READ_BLOCK_BYTES) && units.offsets[end] === units.offsets[u] + bytes) { bytes += units.lengths[end]; end++ }
      const block = await src.readAt(units.offsets[u], bytes, 'audio units')
      const parts: Uint8Array[] = []
      for (let k = u, o = 0; k < end; o += units.lengths[k], k++) parts.push(block.subarray(o, o + units.lengths[k]))
      const out = await decoder.decode(parts)
      errors += out.errors.length
      decodedSamples += feed(meter, out, at, total, keepFrom)
      at += out.samplesDecoded
      u = end
    }
  }
  try {
    const sampled = total > FULL_DECODE_SECONDS * sampleRate && units.count > columns * 2
    if (!sampled) await run(0, units.count - 1)
    else {
      let next = 0 // first unit not yet decoded: runs never overlap, so no sample counts twice
      const openingEnd = units.unitAt(Math.min(total, CLIP_SECONDS * sampleRate))
      await run(0, openingEnd); next = openingEnd + 1
      for (let c = 0; c < columns; c++) {
        const from = Math.max(next, units.unitAt(c * total / columns))
        const to = Math.min(units.count - 1, units.unitAt((c + 1) * total / columns) - 1)
        if (from > to) continue
        const last = Math.min(to, from + Math.max(1, Math.ceil((to - from + 1) * SAMPLED_FRACTION)) - 1)
        await run(from, last); next = last + 1
      }
    }
    if (decodedSamples === 0) throw GasError.malformedAsset(src.path, `no ${stream.codec} audio could be decoded (${errors} decoder errors)`)
    return { levels: meter.result(), decodedSamples, sampled, decodeErrors: errors }
  } finally { decoder.free() }
}

/** FLAC: decoded whole, streaming from `start` (after any ID3 tag some taggers put in front). */
export async function decodeFlac (src: ByteSource, start: number, format: { sampleRate: number, channels: number, totalSamples: number }, columns: number, clipSamples: number): Promise<DecodedLevels> {
  const meter = new LevelMeter(format.channels, format.sampleRate, format.totalSamples, columns, CLIP_SECONDS, Math.min(CLIP_SAMPLE_RATE, format.sampleRate), clipSamples)
  const decoder: StreamDecoder = await openDecoder('flac' satisfies DecoderCodec)
  let at = 0; let errors = 0
  try {
    for (let o = start; o < src.size; o += READ_BLOCK_BYTES) {
      const out = await decoder.decode([await src.readAt(o, Math.min(READ_BLOCK_BYTES, src.size - o), 'FLAC frames')])
      errors += out.errors.length
      feed(meter, out, at, format.totalSamples)
      at += out.samplesDecoded
    }
    if (at === 0) throw GasError.malformedAsset(src.path, `no FLAC audio could be decoded (${errors} decoder errors)`)
    return { levels: meter.result(), decodedSamples: at, sampled: false, decodeErrors: errors }
  } finally { decoder.free() }
}

/** Adds decoded samples at `at`, keeping those from `keepFrom` on and never past the stream's end; returns how many were kept. */
function feed (meter: LevelMeter, out: Decoded, at: number, total: number, keepFrom = 0): number {
  const skip = Math.max(0, Math.min(out.samplesDecoded, keepFrom - at))
  const n = Math.min(out.samplesDecoded, Math.max(0, (total > 0 ? total : Infinity) - at)) - skip
  if (n > 0 && out.channelData.length > 0) meter.addPlanar(out.channelData, n, at + skip, skip)
  return Math.max(0, n)
}
