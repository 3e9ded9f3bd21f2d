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
  const endOf = (u: number): number => u + 1 < units.count ? units.starts[u + 1] : total
  // samples the decoder still owes for the end of the previous run: the Ogg decoders give a page
  // out only when the next one arrives, mpg123 a granule late; they come first out of the next call
  const owed = { left: 0, at: 0, keepFrom: 0, keepTo: 0 }
  let at = 0 // stream position of the next sample of the current run
  let keepTo = 0
  const take = (out: Decoded, keepFrom: number): void => {
    errors += out.errors.length
    let off = 0
    if (owed.left > 0) {
      off = Math.min(owed.left, out.samplesDecoded)
      decodedSamples += feed(meter, out, 0, off, owed.at, owed.keepFrom, owed.keepTo)
      owed.left -= off; owed.at += off
    }
    decodedSamples += feed(meter, out, off, out.samplesDecoded - off, at, keepFrom, keepTo)
    at += out.samplesDecoded - off
  }
  const run = async (first: number, last: number): Promise<void> => {
    // decoding starts primeUnits early and keeps only the run's own samples
    const from = Math.max(0, first - stream.primeUnits)
    const keepFrom = first === 0 ? 0 : units.starts[first] + stream.discardSamples
    keepTo = endOf(last)
    at = units.starts[from]
    for (let u = from; u <= last;) {
      // a block of whole, adjacent units, about READ_BLOCK_BYTES, read in one go
      let end = u; let bytes = 0
      while (end <= last && (bytes === 0 || bytes + units.lengths[end] <= READ_BLOCK_BYTES) && units.offsets[end] === units.offsets[u] + bytes) { bytes += units.lengths[end]; end++ }
      const block = await src.readAt(units.offsets[u], bytes, 'audio units')
      const parts: Uint8Array[] = []
      for (let k = u, o = 0; k < end; o += units.lengths[k], k++) parts.push(block.subarray(o, o + units.lengths[k]))
      take(await decoder.decode(parts), keepFrom)
      u = end
    }
    // at most the last unit can still be owed
    owed.left = Math.max(0, Math.min(keepTo - at, keepTo - units.starts[last])); owed.at = at; owed.keepFrom = keepFrom; owed.keepTo = keepTo
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
    take(await decoder.flush(), Infinity)
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
      feed(meter, out, 0, out.samplesDecoded, at, 0, format.totalSamples)
      at += out.samplesDecoded
    }
    const tail = await decoder.flush()
    feed(meter, tail, 0, tail.samplesDecoded, at, 0, format.totalSamples)
    at += tail.samplesDecoded
    if (at === 0) throw GasError.malformedAsset(src.path, `no FLAC audio could be decoded (${errors} decoder errors)`)
    return { levels: meter.result(), decodedSamples: at, sampled: false, decodeErrors: errors }
  } finally { decoder.free() }
}

/**
 * Adds `n` decoded samples from index `off` of `out`, placed at stream position `at`, keeping those
 * in [keepFrom, keepTo) (keepTo 0: no end); returns how many were kept.
 */
function feed (meter: LevelMeter, out: Decoded, off: number, n: number, at: number, keepFrom: number, keepTo: number): number {
  if (n <= 0 || out.channelData.length === 0) return 0
  const skip = Math.max(0, Math.min(n, keepFrom - at))
  const kept = Math.min(n, Math.max(0, (keepTo > 0 ? keepTo : Infinity) - at)) - skip
  if (kept > 0) meter.addPlanar(out.channelData, kept, at + skip, off + skip)
  return Math.max(0, kept)
}
