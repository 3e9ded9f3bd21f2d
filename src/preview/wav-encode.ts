/** Mono 16-bit PCM WAV bytes for a preview clip. */
export function encodeWav16Mono (samples: Int16Array, sampleRate: number): Uint8Array {
  const dataLength = samples.length * 2
  const out = new Uint8Array(44 + dataLength)
  const dv = new DataView(out.buffer)
  const tag = (o: number, s: string): void => { for (let i = 0; i < 4; i++) out[o + i] = s.charCodeAt(i) }
  tag(0, 'RIFF'); dv.setUint32(4, 36 + dataLength, true); tag(8, 'WAVE')
  tag(12, 'fmt '); dv.setUint32(16, 16, true)
  dv.setUint16(20, 1, true); dv.setUint16(22, 1, true)
  dv.setUint32(24, sampleRate, true); dv.setUint32(28, sampleRate * 2, true)
  dv.setUint16(32, 2, true); dv.setUint16(34, 16, true)
  tag(36, 'data'); dv.setUint32(40, dataLength, true)
  for (let i = 0; i < samples.length; i++) dv.setInt16(44 + i * 2, samples[i], true)
  return out
}
