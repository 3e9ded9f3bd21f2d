import { parseFile } from 'music-metadata'
import { GasError } from '../errors.js'
import { withSource } from './byte-source.js'
import { LevelMeter } from './levels.js'
import { CLIP_SAMPLE_RATE, CLIP_SECONDS, clipBudgetBytes, WAVEFORM_HEIGHT, WAVEFORM_WIDTH } from './limits.js'
import { forEachSampleBlock, readWavFormat } from './wav.js'
import { encodeWav8Mono, wav8Bytes } from './wav-encode.js'
import { renderWaveform } from './waveform.js'
import type { GenerateOpts, PreviewParts } from './types.js'

/** Containers music-metadata reads (it parses headers and tags; it does not decode audio). */
const METADATA_FORMATS = new Set(['ogg', 'oga', 'opus', 'mp3', 'flac', 'm4a', 'aac', 'aiff', 'aif', 'wma', 'wv', 'ape', 'mka', 'webm', 'mp4', 'mov', 'mkv', 'm4v', 'asf', 'wmv'])

export async function audioPreview (opts: GenerateOpts): Promise<PreviewParts> {
  const { path, format, kind } = opts
  if (format === 'wav' || format === 'wave') return await wavPreview(path, Math.min(WAVEFORM_WIDTH, opts.size))
  if (METADATA_FORMATS.has(format)) return await metadataPreview(path, kind)
  throw new GasError('E_NO_PREVIEW', `no preview for this ${kind} format: ${format}`, { path, format })
}

async function wavPreview (path: string, columns: number): Promise<PreviewParts> {
  return await withSource(path, async src => {
    const fmt = await readWavFormat(src)
    // the clip is bounded by the asset's size (limits.ts): whole samples that fit the byte budget
    let clipSamples = Math.max(0, clipBudgetBytes(src.size) - wav8Bytes(0))
    if (wav8Bytes(clipSamples) > clipBudgetBytes(src.size)) clipSamples--
    const meter = new LevelMeter(fmt.channels, fmt.sampleRate, fmt.frames, columns, CLIP_SECONDS, Math.min(CLIP_SAMPLE_RATE, fmt.sampleRate), clipSamples)
    await forEachSampleBlock(src, fmt, (samples, frames) => meter.add(samples, frames))
    const levels = meter.result()
    const image = fmt.frames > 0 ? await renderWaveform(levels.envelopeMin, levels.envelopeMax, WAVEFORM_HEIGHT) : null
    return {
      info: {
        durationSeconds: fmt.frames / fmt.sampleRate,
        sampleRate: fmt.sampleRate,
        channels: fmt.channels,
        bitDepth: fmt.bitDepth,
        float: fmt.float,
        frames: fmt.frames,
        peakDb: levels.peakDb,
        rmsDb: levels.rmsDb
      },
      image,
      clip: levels.clip.length > 0 ? { format: 'wav', bytes: encodeWav8Mono(levels.clip, levels.clipRate) } : null
    }
  })
}

/**
 * Compressed formats: facts from headers via music-metadata. Without a decoder there are no
 * samples, so levels come from ReplayGain tags when present and the waveform is absent.
 */
async function metadataPreview (path: string, kind: string): Promise<PreviewParts> {
  let meta
  try {
    meta = await parseFile(path, { duration: true, skipCovers: true })
  } catch (err) {
    if ((err as NodeJS.ErrnoException)?.code === 'ENOENT') throw new GasError('E_NOT_FOUND', `${path}: no such file or directory`, { path })
    throw GasError.malformedAsset(path, `cannot read ${kind} metadata: ${(err as Error)?.message ?? String(err)}`)
  }
  const f = meta.format
  if (f.container === undefined && f.duration === undefined) throw GasError.malformedAsset(path, `no ${kind} stream found`)
  const rg = meta.common.replaygain_track_peak
  const info: Record<string, unknown> = {
    container: f.container,
    codec: f.codec,
    durationSeconds: f.duration ?? null,
    sampleRate: f.sampleRate ?? null,
    channels: f.numberOfChannels ?? null,
    bitDepth: f.bitsPerSample ?? null,
    bitrate: f.bitrate ?? null,
    lossless: f.lossless ?? null,
    peakDb: rg?.dB ?? null,
    rmsDb: null
  }
  const tags = { title: meta.common.title, artist: meta.common.artist, album: meta.common.album }
  for (const [k, v] of Object.entries(tags)) if (v !== undefined) info[k] = v
  if (kind === 'video' && f.trackInfo !== undefined) info.tracks = f.trackInfo.length
  return { info, image: null, clip: null }
}
