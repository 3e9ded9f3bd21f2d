/**
 * Mono 8-bit unsigned PCM WAV bytes for a preview clip (44-byte header + one byte a sample).
 * Samples are in -1..1 and are clamped; 8-bit WAV is unsigned with silence at 128.
 */
export function encodeWav8Mono (samples: Float32Array, sampleRate: number): Uint8Array {
  const dataLength = samples.length
  // RIFF chunks are padded to an even length
  const out = new Uint8Array(44 + dataLength + (dataLength & 1))
  const dv = new DataView(out.buffer)
  const tag = (o: number, s: string): void => { for (let i = 0; i < 4; i++) out[o + i] = s.charCodeAt(i) }
  tag(0, 'RIFF'); dv.setUint32(4, 36 + dataLength + (dataLength & 1), true); tag(8, 'WAVE')
  tag(12, 'fmt '); dv.setUint32(16, 16, true)
  dv.setUint16(20, 1, true); dv.setUint16(22, 1, true)
  dv.setUint32(24, sampleRate, true); dv.setUint32(28, sampleRate, true)
  dv.setUint16(32, 1, true); dv.setUint16(34, 8, true)
  tag(36, 'data'); dv.setUint32(40, dataLength, true)
  for (let i = 0; i < dataLength; i++) out[44 + i] = Math.max(0, Math.min(255, Math.round(samples[i] * 128) + 128))
  return out
}

/** Bytes of an 8-bit mono clip of `samples` samples, header and padding included. */
export function wav8Bytes (samples: number): number { return 44 + samples + (samples & 1) }
