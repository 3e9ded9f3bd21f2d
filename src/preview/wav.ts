import { GasError } from '../errors.js'
import type { ByteSource } from './byte-source.js'
import { READ_BLOCK_BYTES } from './limits.js'

/**
 * RIFF/WAVE reader: walks the chunk list to `fmt ` and `data`, then hands the sample data out in
 * bounded blocks converted to floats, so a 10-minute 48 kHz file never sits in memory whole.
 */

export interface WavFormat {
  channels: number
  sampleRate: number
  bitDepth: number
  float: boolean
  blockAlign: number
  dataOffset: number
  dataLength: number
  frames: number
}

const WAVE_FORMAT_PCM = 1
const WAVE_FORMAT_IEEE_FLOAT = 3
const WAVE_FORMAT_EXTENSIBLE = 0xfffe
/** Beyond this a sample rate is a corrupt header, not audio (768 kHz is the highest in use). */
const MAX_SAMPLE_RATE = 768000
const MAX_CHANNELS = 64

export async function readWavFormat (src: ByteSource): Promise<WavFormat> {
  const bad = (why: string): GasError => GasError.malformedAsset(src.path, `not a valid WAV: ${why}`)
  const riff = await src.take(12, 'RIFF header')
  const tag = (b: Uint8Array, o: number): string => String.fromCharCode(b[o], b[o + 1], b[o + 2], b[o + 3])
  if (tag(riff, 0) === 'RF64') throw new GasError('E_NO_PREVIEW', 'no preview for RF64 (64-bit WAV) files yet', { path: src.path })
  if (tag(riff, 0) !== 'RIFF' || tag(riff, 8) !== 'WAVE') throw bad('missing RIFF/WAVE signature')
  let fmt: Omit<WavFormat, 'dataOffset' | 'dataLength' | 'frames'> | null = null
  for (;;) {
    if (src.remaining < 8) throw bad(fmt === null ? 'no "fmt " chunk' : 'no "data" chunk')
    const head = await src.take(8, 'chunk header')
    const id = tag(head, 0)
    const size = new DataView(head.buffer, head.byteOffset, 8).getUint32(4, true)
    if (id === 'fmt ') {
      if (size < 16) throw bad(`"fmt " chunk of ${size} bytes (at least 16)`)
      const body = await src.take(size, '"fmt " chunk')
      fmt = parseFmt(body, bad)
      src.skip(size & 1, '"fmt " padding')
    } else if (id === 'data') {
      if (fmt === null) throw bad('"data" chunk before "fmt " chunk')
      const dataOffset = src.offset
      if (size > src.remaining) throw bad(`wrong data length: "data" chunk says ${size} bytes but only ${src.remaining} remain in the file`)
      if (size % fmt.blockAlign !== 0) throw bad(`wrong data length: ${size} bytes is not a whole number of ${fmt.blockAlign}-byte frames`)
      return { ...fmt, dataOffset, dataLength: size, frames: size / fmt.blockAlign }
    } else {
      src.skip(size + (size & 1), `"${id.replace(/[^\x20-\x7e]/g, '?')}" chunk`)
    }
  }
}

function parseFmt (b: Uint8Array, bad: (why: string) => GasError): Omit<WavFormat, 'dataOffset' | 'dataLength' | 'frames'> {
  const dv = new DataView(b.buffer, b.byteOffset, b.length)
  let formatTag = dv.getUint16(0, true)
  const channels = dv.getUint16(2, true)
  const sampleRate = dv.getUint32(4, true)
  const blockAlign = dv.getUint16(12, true)
  const bitDepth = dv.getUint16(14, true)
  if (formatTag === WAVE_FORMAT_EXTENSIBLE) {
    if (b.length < 40) throw bad('WAVE_FORMAT_EXTENSIBLE "fmt " chunk shorter than 40 bytes')
    formatTag = dv.getUint16(24, true) // first two bytes of the sub-format GUID
  }
  if (formatTag !== WAVE_FORMAT_PCM && formatTag !== WAVE_FORMAT_IEEE_FLOAT) {
    throw new GasError('E_NO_PREVIEW', `no preview for WAV encoding 0x${formatTag.toString(16)} (supported: PCM, IEEE float)`)
  }
  const float = formatTag === WAVE_FORMAT_IEEE_FLOAT
  if (channels < 1 || channels > MAX_CHANNELS) throw bad(`${channels} channels`)
  if (sampleRate < 1 || sampleRate > MAX_SAMPLE_RATE) throw bad(`sample rate ${sampleRate}`)
  const depthOk = float ? bitDepth === 32 || bitDepth === 64 : [8, 16, 24, 32].includes(bitDepth)
  if (!depthOk) throw bad(`${bitDepth}-bit ${float ? 'float' : 'PCM'} samples`)
  if (blockAlign !== channels * bitDepth / 8) throw bad(`block align ${blockAlign} for ${channels} × ${bitDepth}-bit`)
  return { channels, sampleRate, bitDepth, float, blockAlign }
}

/**
 * Calls `onBlock` with interleaved samples in -1..1 (floats may exceed it) for successive blocks
 * of whole frames, in order. The samples array is reused between calls.
 */
export async function forEachSampleBlock (src: ByteSource, fmt: WavFormat, onBlock: (samples: Float32Array, frames: number) => void): Promise<void> {
  const framesPerBlock = Math.max(1, Math.floor(READ_BLOCK_BYTES / fmt.blockAlign))
  const samples = new Float32Array(framesPerBlock * fmt.channels)
  src.seek(fmt.dataOffset, 'WAV data')
  let left = fmt.frames
  while (left > 0) {
    const frames = Math.min(framesPerBlock, left)
    const bytes = frames * fmt.blockAlign
    await src.need(bytes, 'WAV samples')
    convert(src.bytes, src.pos, frames * fmt.channels, fmt, samples)
    src.pos += bytes
    left -= frames
    onBlock(samples, frames)
  }
}

function convert (b: Uint8Array, o: number, n: number, fmt: WavFormat, out: Float32Array): void {
  if (fmt.float) {
    const dv = new DataView(b.buffer, b.byteOffset)
    if (fmt.bitDepth === 32) for (let i = 0; i < n; i++) out[i] = dv.getFloat32(o + i * 4, true)
    else for (let i = 0; i < n; i++) out[i] = dv.getFloat64(o + i * 8, true)
    return
  }
  switch (fmt.bitDepth) {
    case 8: for (let i = 0; i < n; i++) out[i] = (b[o + i] - 128) / 128; break
    case 16: for (let i = 0, p = o; i < n; i++, p += 2) out[i] = (((b[p] | (b[p + 1] << 8)) << 16) >> 16) / 32768; break
    case 24: for (let i = 0, p = o; i < n; i++, p += 3) out[i] = (((b[p] | (b[p + 1] << 8) | (b[p + 2] << 16)) << 8) >> 8) / 8388608; break
    default: for (let i = 0, p = o; i < n; i++, p += 4) out[i] = (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) / 2147483648
  }
}
