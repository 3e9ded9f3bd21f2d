import { GasError } from '../errors.js'
import { withSource, type ByteSource } from './byte-source.js'
import { decodeFlac, decodeIndexed, type DecodedLevels } from './compressed-audio.js'
import { LevelMeter, type LevelsResult } from './levels.js'
import { CLIP_SAMPLE_RATE, CLIP_SECONDS, clipBudgetBytes, WAVEFORM_HEIGHT, WAVEFORM_WIDTH } from './limits.js'
import { id3Length, indexMpegFrames } from './mpeg-frames.js'
import { indexOggPages } from './ogg-pages.js'
import { forEachSampleBlock, readWavFormat } from './wav.js'
import { encodeWav8Mono, wav8Bytes } from './wav-encode.js'
import { renderWaveform } from './waveform.js'
import type { GenerateOpts, PreviewParts } from './types.js'

/** Containers music-metadata reads for facts only (no decoder here): AAC/ALAC in MP4, AIFF, WMA, … */
const METADATA_FORMATS = new Set(['m4a', 'aac', 'aiff', 'aif', 'wma', 'wv', 'ape', 'mka', 'webm', 'mp4', 'mov', 'mkv', 'm4v', 'asf', 'wmv'])
const DECODED_FORMATS = new Set(['wav', 'wave', 'mp3', 'mp2', 'mpga', 'ogg', 'oga', 'opus', 'flac'])

export async function audioPreview (opts: GenerateOpts): Promise<PreviewParts> {
  const { path, format, kind } = opts
  const columns = Math.min(WAVEFORM_WIDTH, opts.size)
  if (DECODED_FORMATS.has(format)) {
    const { mayHaveTags, ...parts } = await withSource(path, async src => await decodedPreview(src, columns))
    // music-metadata (~50 ms to load, a few ms a file) only where tags can be: not in a plain fmt + data WAV
    if (!mayHaveTags) return parts
    const { meta, info } = await (await import('./audio-tags.js')).audioTags(path, kind)
    return { ...parts, info: { ...info, ...parts.info }, meta }
  }
  if (METADATA_FORMATS.has(format)) {
    const { meta, info } = await (await import('./audio-tags.js')).audioTags(path, kind, true)
    return { info, image: null, clip: null, meta }
  }
  throw new GasError('E_NO_PREVIEW', `no preview for this ${kind} format: ${format} (supported: ${[...DECODED_FORMATS, ...METADATA_FORMATS].join(', ')})`, { path, format })
}

/** What the bytes are, whatever the extension says: a FLAC or MP3 behind an ID3 tag, an Ogg stream, a RIFF WAV. */
async function container (src: ByteSource): Promise<{ type: 'wav' | 'ogg' | 'flac' | 'mpeg', start: number }> {
  await src.need(Math.min(src.size, 12), 'audio header')
  const b = src.bytes; const p = src.pos
  const at = (o: number, s: string): boolean => src.available >= o + s.length && [...s].every((ch, i) => b[p + o + i] === ch.charCodeAt(0))
  if (at(0, 'RIFF') || at(0, 'RF64')) return { type: 'wav', start: 0 }
  if (at(0, 'OggS')) return { type: 'ogg', start: 0 }
  if (at(0, 'fLaC')) return { type: 'flac', start: 0 }
  const tag = id3Length(b, p, src.available)
  if (tag > 0 && tag + 4 <= src.size) {
    const next = await src.readAt(tag, 4, 'audio after ID3 tag')
    if (String.fromCharCode(...next) === 'fLaC') return { type: 'flac', start: tag }
  }
  return { type: 'mpeg', start: 0 }
}

/** Clip samples (8-bit mono at 8 kHz) that fit the clip's byte budget for an asset of this size. */
function clipSamplesFor (assetBytes: number): number {
  let n = Math.max(0, clipBudgetBytes(assetBytes) - wav8Bytes(0))
  if (wav8Bytes(n) > clipBudgetBytes(assetBytes)) n--
  return n
}

async function decodedPreview (src: ByteSource, columns: number): Promise<PreviewParts & { mayHaveTags: boolean }> {
  const clipSamples = clipSamplesFor(src.size)
  const { type, start } = await container(src)
  if (type === 'wav') {
    const fmt = await readWavFormat(src)
    if (fmt.encoding === 'mpeg') {
      const stream = await indexMpegFrames(src, fmt.dataOffset, fmt.dataOffset + fmt.dataLength)
      return { ...await finish({ container: 'WAVE', encoding: 'mpeg', ...stream.info }, stream.sampleRate, stream.channels, stream.units.totalSamples, await decodeIndexed(src, stream, columns, clipSamples)), mayHaveTags: fmt.mayHaveTags }
    }
    const meter = new LevelMeter(fmt.channels, fmt.sampleRate, fmt.frames, columns, CLIP_SECONDS, Math.min(CLIP_SAMPLE_RATE, fmt.sampleRate), clipSamples)
    let scratch: Float32Array | undefined
    await forEachSampleBlock(src, fmt, (samples, frames) => meter.add(samples, frames), (samples, frames) => meter.addPcm16(samples, frames, scratch ??= new Float32Array(samples.length)))
    const info: Record<string, unknown> = { bitDepth: fmt.bitDepth, float: fmt.float, frames: fmt.frames }
    if (fmt.encoding !== 'pcm' && fmt.encoding !== 'float') info.encoding = fmt.encoding
    return { ...await finish(info, fmt.sampleRate, fmt.channels, fmt.frames, { levels: meter.result(), decodedSamples: fmt.frames, sampled: false, decodeErrors: 0 }), mayHaveTags: fmt.mayHaveTags }
  }
  if (type === 'flac') {
    const si = await streamInfo(src, start)
    return { ...await finish({ container: 'FLAC', codec: 'FLAC', bitDepth: si.bitDepth, lossless: true }, si.sampleRate, si.channels, si.totalSamples, await decodeFlac(src, start, si, columns, clipSamples)), mayHaveTags: true }
  }
  const stream = type === 'ogg' ? await indexOggPages(src) : await indexMpegFrames(src, 0, src.size)
  const info = { container: type === 'ogg' ? 'Ogg' : 'MPEG', ...stream.info }
  return { ...await finish(info, stream.sampleRate, stream.channels, stream.units.totalSamples, await decodeIndexed(src, stream, columns, clipSamples)), mayHaveTags: true }
}

/** FLAC STREAMINFO: rate, channels, depth and total samples (0 = unknown, then counted while decoding). */
async function streamInfo (src: ByteSource, start: number): Promise<{ sampleRate: number, channels: number, bitDepth: number, totalSamples: number }> {
  const b = await src.readAt(start, Math.min(42, src.size - start), 'FLAC STREAMINFO')
  if (b.length < 42 || (b[4] & 0x7f) !== 0) throw GasError.malformedAsset(src.path, 'not a valid FLAC: no STREAMINFO block')
  const o = 8 + 10
  const sampleRate = (b[o] << 12) | (b[o + 1] << 4) | (b[o + 2] >> 4)
  const channels = ((b[o + 2] >> 1) & 7) + 1
  const bitDepth = (((b[o + 2] & 1) << 4) | (b[o + 3] >> 4)) + 1
  const totalSamples = (b[o + 3] & 15) * 2 ** 32 + ((b[o + 4] << 24) >>> 0) + (b[o + 5] << 16) + (b[o + 6] << 8) + b[o + 7]
  if (sampleRate === 0) throw GasError.malformedAsset(src.path, 'not a valid FLAC: sample rate 0')
  return { sampleRate, channels, bitDepth, totalSamples }
}

async function finish (info: Record<string, unknown>, sampleRate: number, channels: number, totalSamples: number, d: DecodedLevels): Promise<PreviewParts> {
  const frames = totalSamples > 0 ? totalSamples : d.decodedSamples
  const levels: LevelsResult = d.levels
  const image = frames > 0 ? await renderWaveform(levels.envelopeMin, levels.envelopeMax, WAVEFORM_HEIGHT) : null
  const out: Record<string, unknown> = { durationSeconds: frames / sampleRate, sampleRate, channels, ...info, peakDb: levels.peakDb, rmsDb: levels.rmsDb }
  if (d.sampled) out.levelsSampled = Number((d.decodedSamples / Math.max(1, frames)).toFixed(3))
  if (d.decodeErrors > 0) out.decodeErrors = d.decodeErrors
  return { info: out, image, clip: levels.clip.length > 0 ? { format: 'wav', bytes: encodeWav8Mono(levels.clip, levels.clipRate) } : null }
}
