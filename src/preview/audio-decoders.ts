/**
 * The maintained WebAssembly decoders (mpg123, libvorbis, libopus, libFLAC builds from the
 * wasm-audio-decoders project), loaded on first use and behind one small interface: feed bytes,
 * get planar float samples. They ship their wasm inside the npm package, so nothing is built.
 */

export interface Decoded { channelData: Float32Array[], samplesDecoded: number, errors: unknown[] }

export interface StreamDecoder {
  /** Forgets all state (a sampled run starts afresh). */
  reset: () => Promise<void>
  /** Decodes a run of consecutive bytes: whole MPEG frames or Ogg pages, or any slice of a FLAC stream. */
  decode: (bytes: Uint8Array[]) => Promise<Decoded>
  /** Gives out what the decoder still holds (the Ogg and FLAC decoders hold back the last page or frame); ends the stream. */
  flush: () => Promise<Decoded>
  free: () => void
}

const NOTHING: Decoded = { channelData: [], samplesDecoded: 0, errors: [] }

export type DecoderCodec = 'mp3' | 'mp2' | 'mp1' | 'vorbis' | 'opus' | 'flac'

export async function openDecoder (codec: DecoderCodec): Promise<StreamDecoder> {
  if (codec === 'mp3' || codec === 'mp2' || codec === 'mp1') {
    const { MPEGDecoder } = await import('mpg123-decoder')
    // gapless trimming assumes one continuous stream; sampled runs are not, and the index already trims
    const d = new MPEGDecoder({ enableGapless: false })
    await d.ready
    return { reset: async () => { await d.reset() }, decode: async (frames) => d.decodeFrames(frames), flush: async () => NOTHING, free: () => d.free() }
  }
  if (codec === 'vorbis' || codec === 'opus') {
    const D = codec === 'vorbis' ? (await import('@wasm-audio-decoders/ogg-vorbis')).OggVorbisDecoder : (await import('ogg-opus-decoder')).OggOpusDecoder
    const d = new D()
    await d.ready
    return { reset: async () => { await d.reset() }, decode: async (pages) => await d.decode(concat(pages)), flush: async () => await d.flush(), free: () => d.free() }
  }
  const { FLACDecoder } = await import('@wasm-audio-decoders/flac')
  const d = new FLACDecoder()
  await d.ready
  return { reset: async () => { await d.reset() }, decode: async (bytes) => await d.decode(concat(bytes)), flush: async () => await d.flush(), free: () => d.free() }
}

function concat (parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) { out.set(p, at); at += p.length }
  return out
}
