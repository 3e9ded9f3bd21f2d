import { parseFile, type IAudioMetadata } from 'music-metadata'
import { GasError } from '../errors.js'
import { metaTags } from './meta-tags.js'
import { wavLoopMeta } from './wav-loop-chunks.js'

/** Native tag names (any format, case-insensitive) that carry loop points, as game audio tools write them. */
const LOOP_TAGS: Record<string, string> = { loopstart: 'loop.start', loop_start: 'loop.start', loopend: 'loop.end', loop_end: 'loop.end', looplength: 'loop.length', loop_length: 'loop.length' }

/**
 * Facts and embedded tags of an audio file via music-metadata: ID3, Vorbis comments, RIFF INFO,
 * APE, MP4 atoms. With `required` (formats we cannot decode) a failure is the file's fault;
 * otherwise the decoder has already judged the audio and tags are a bonus.
 */
export async function audioTags (path: string, kind: string, required = false): Promise<{ info: Record<string, unknown>, meta: Record<string, string> }> {
  let mm: IAudioMetadata
  try {
    mm = await parseFile(path, { duration: required, skipCovers: true })
  } catch (err) {
    if (!required) return { info: {}, meta: {} }
    if ((err as NodeJS.ErrnoException)?.code === 'ENOENT') throw new GasError('E_NOT_FOUND', `${path}: no such file or directory`, { path })
    throw GasError.malformedAsset(path, `cannot read ${kind} metadata: ${(err as Error)?.message ?? String(err)}`)
  }
  const f = mm.format; const c = mm.common
  const info: Record<string, unknown> = {}
  if (required) {
    if (f.container === undefined && f.duration === undefined) throw GasError.malformedAsset(path, `no ${kind} stream found`)
    Object.assign(info, {
      container: f.container,
      codec: f.codec,
      durationSeconds: f.duration ?? null,
      sampleRate: f.sampleRate ?? null,
      channels: f.numberOfChannels ?? null,
      bitDepth: f.bitsPerSample ?? null,
      bitrate: f.bitrate ?? null,
      lossless: f.lossless ?? null,
      peakDb: c.replaygain_track_peak?.dB ?? null,
      rmsDb: null
    })
    if (kind === 'video' && f.trackInfo !== undefined) info.tracks = f.trackInfo.length
  }
  for (const k of ['title', 'artist', 'album'] as const) if (c[k] !== undefined) info[k] = c[k]
  const raw: Record<string, unknown> = {
    title: c.title,
    artist: c.artist,
    album: c.album,
    genre: c.genre?.join(', '),
    bpm: c.bpm,
    year: c.year,
    comment: c.comment?.map(x => typeof x === 'string' ? x : x.text).filter(Boolean).join(' '),
    copyright: c.copyright,
    software: c.encodedby ?? c.encodersettings ?? f.tool
  }
  for (const tags of Object.values(mm.native)) {
    for (const t of tags) {
      // ID3 user frames (TXXX:LOOPSTART, as Audacity and ffmpeg write them) and iTunes freeform atoms carry the name after a prefix
      const key = LOOP_TAGS[t.id.toLowerCase().replace(/^(txxx|----:com\.apple\.itunes):/, '')]
      if (key !== undefined && raw[key] === undefined) raw[key] = t.value
    }
  }
  if (f.container === 'WAVE') {
    // smpl / acid chunks: loop points and tempo the RIFF INFO list has no fields for (they fill only what tags left empty)
    for (const [k, v] of Object.entries(await wavLoopMeta(path).catch(() => ({})))) raw[k] ??= v
  }
  return { info, meta: metaTags(raw) }
}
