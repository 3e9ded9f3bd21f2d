import { GasError } from '../errors.js'
import type { ByteSource } from './byte-source.js'
import type * as alawmulawLib from 'alawmulaw'
import { requireCjs } from './require-cjs.js'
import { decodeImaBlock, decodeMsBlock, imaFramesPerBlock, msFramesPerBlock } from './adpcm.js'
import { READ_BLOCK_BYTES } from './limits.js'

/**
 * RIFF/WAVE reader: walks the chunk list to `fmt ` and `data`, then hands the sample data out in
 * bounded blocks converted to floats, so a 10-minute 48 kHz file never sits in memory whole.
 */

/** How the samples are stored: linear PCM / float, G.711 companding, ADPCM blocks, or MPEG frames. */
export type WavEncoding = 'pcm' | 'float' | 'alaw' | 'mulaw' | 'ima-adpcm' | 'ms-adpcm' | 'mpeg'

export interface WavFormat {
  encoding: WavEncoding
  /** frames per block for ADPCM (1 otherwise) */
  framesPerBlock: number
  channels: number
  sampleRate: number
  bitDepth: number
  float: boolean
  blockAlign: number
  dataOffset: number
  dataLength: number
  frames: number
  /**
   * Whether the file has chunks that can hold tags (LIST/INFO, id3, bext, smpl, cue …) before the
   * data or anything after it. A plain fmt + data file has none, so its tags need not be looked for.
   */
  mayHaveTags: boolean
}

const WAVE_FORMAT_IEEE_FLOAT = 3
const ENCODINGS: Record<number, WavEncoding> = { 1: 'pcm', 3: 'float', 2: 'ms-adpcm', 6: 'alaw', 7: 'mulaw', 0x11: 'ima-adpcm', 0x50: 'mpeg', 0x55: 'mpeg' }
const WAVE_FORMAT_EXTENSIBLE = 0xfffe
/** Beyond this a sample rate is a corrupt header, not audio (768 kHz is the highest in use). */
const MAX_SAMPLE_RATE = 768000
const MAX_CHANNELS = 64

export async function readWavFormat (src: ByteSource): Promise<WavFormat> {
  const bad = (why: string): GasError => GasError.malformedAsset(src.path, `not a valid WAV: ${why}`)
  const riff = await src.take(12, 'RIFF header')
  const tag = (b: Uint8Array, o: number): string => String.fromCharCode(b[o], b[o + 1], b[o + 2], b[o + 3])
  // RF64 (EBU Tech 3306, BWF recorders and ffmpeg past 4 GiB): a RIFF whose sizes over 32 bits live in a "ds64" chunk
  const rf64 = tag(riff, 0) === 'RF64'
  if ((!rf64 && tag(riff, 0) !== 'RIFF') || tag(riff, 8) !== 'WAVE') throw bad('missing RIFF/WAVE signature')
  let ds64DataLength: number | undefined
  let fmt: Omit<WavFormat, 'dataOffset' | 'dataLength' | 'frames' | 'mayHaveTags'> | null = null
  let factFrames: number | undefined
  let otherChunks = false
  for (;;) {
    if (src.remaining < 8) throw bad(fmt === null ? 'no "fmt " chunk' : 'no "data" chunk')
    const head = await src.take(8, 'chunk header')
    const id = tag(head, 0)
    let size = new DataView(head.buffer, head.byteOffset, 8).getUint32(4, true)
    if (id === 'fmt ') {
      if (size < 16) throw bad(`"fmt " chunk of ${size} bytes (at least 16)`)
      const body = await src.take(size, '"fmt " chunk')
      fmt = parseFmt(body, bad)
      src.skip(size & 1, '"fmt " padding')
    } else if (id === 'data') {
      if (fmt === null) throw bad('"data" chunk before "fmt " chunk')
      const dataOffset = src.offset
      if (rf64 && size === 0xffffffff && ds64DataLength !== undefined && ds64DataLength <= src.remaining) size = ds64DataLength
      // streaming writers leave the size 0 or 0xFFFFFFFF until they finish (and some never do): the data runs to the end
      const unknown = size === 0xffffffff || (size === 0 && src.remaining > 0)
      if (!unknown && size > src.remaining) throw bad(`wrong data length: "data" chunk says ${size} bytes but only ${src.remaining} remain in the file`)
      const length = unknown ? src.remaining - (src.remaining % fmt.blockAlign) : size
      const mayHaveTags = otherChunks || src.remaining > length + (length & 1)
      if (fmt.encoding === 'mpeg') return { ...fmt, dataOffset, dataLength: length, frames: 0, mayHaveTags }
      if (fmt.framesPerBlock > 1) {
        // ADPCM: whole blocks, and a last partial block of whatever frames it holds; a "fact" chunk has the exact count
        const whole = Math.floor(length / fmt.blockAlign)
        const frames = factFrames ?? whole * fmt.framesPerBlock
        return { ...fmt, dataOffset, dataLength: whole * fmt.blockAlign, frames: Math.min(frames, whole * fmt.framesPerBlock), mayHaveTags }
      }
      if (length % fmt.blockAlign !== 0) throw bad(`wrong data length: ${length} bytes is not a whole number of ${fmt.blockAlign}-byte frames`)
      return { ...fmt, dataOffset, dataLength: length, frames: length / fmt.blockAlign, mayHaveTags }
    } else if (id === 'ds64' && rf64 && size >= 28) {
      const body = await src.take(size, '"ds64" chunk')
      const dv = new DataView(body.buffer, body.byteOffset, body.length)
      ds64DataLength = dv.getUint32(12, true) * 2 ** 32 + dv.getUint32(8, true)
      src.skip(size & 1, '"ds64" padding')
    } else if (id === 'fact' && size >= 4) {
      const body = await src.take(4, '"fact" chunk')
      factFrames = new DataView(body.buffer, body.byteOffset, 4).getUint32(0, true)
      src.skip(size - 4 + (size & 1), '"fact" chunk')
    } else {
      otherChunks = true
      src.skip(size + (size & 1), `"${id.replace(/[^\x20-\x7e]/g, '?')}" chunk`)
    }
  }
}

function parseFmt (b: Uint8Array, bad: (why: string) => GasError): Omit<WavFormat, 'dataOffset' | 'dataLength' | 'frames' | 'mayHaveTags'> {
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
  const encoding = ENCODINGS[formatTag]
  if (encoding === undefined) {
    throw new GasError('E_NO_PREVIEW', `no preview for WAV encoding 0x${formatTag.toString(16)} (supported: PCM, IEEE float, A-law, µ-law, IMA ADPCM, MS ADPCM, MPEG)`)
  }
  if (channels < 1 || channels > MAX_CHANNELS) throw bad(`${channels} channels`)
  if (sampleRate < 1 || sampleRate > MAX_SAMPLE_RATE) throw bad(`sample rate ${sampleRate}`)
  if (encoding === 'alaw' || encoding === 'mulaw') {
    if (bitDepth !== 8 || blockAlign !== channels) throw bad(`${encoding} with ${bitDepth}-bit samples and block align ${blockAlign}`)
    return { encoding, framesPerBlock: 1, channels, sampleRate, bitDepth: 8, float: false, blockAlign }
  }
  if (encoding === 'ima-adpcm' || encoding === 'ms-adpcm') {
    const header = encoding === 'ima-adpcm' ? 4 * channels : 7 * channels
    if (bitDepth !== 4 || blockAlign <= header || blockAlign > 65536) throw bad(`${encoding} with ${bitDepth}-bit samples and block align ${blockAlign}`)
    const framesPerBlock = encoding === 'ima-adpcm' ? imaFramesPerBlock(blockAlign, channels) : msFramesPerBlock(blockAlign, channels)
    return { encoding, framesPerBlock, channels, sampleRate, bitDepth: 4, float: false, blockAlign }
  }
  if (encoding === 'mpeg') return { encoding, framesPerBlock: 1, channels, sampleRate, bitDepth: 0, float: false, blockAlign: 1 }
  const float = formatTag === WAVE_FORMAT_IEEE_FLOAT
  const depthOk = float ? bitDepth === 32 || bitDepth === 64 : [8, 16, 24, 32].includes(bitDepth)
  if (!depthOk) throw bad(`${bitDepth}-bit ${float ? 'float' : 'PCM'} samples`)
  if (blockAlign !== channels * bitDepth / 8) throw bad(`block align ${blockAlign} for ${channels} × ${bitDepth}-bit`)
  return { encoding, framesPerBlock: 1, channels, sampleRate, bitDepth, float, blockAlign }
}

/** Whether typed arrays read little-endian here (every platform Node ships for), so WAV's int16 samples can be viewed in place. */
const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1

/**
 * Calls `onBlock` with interleaved samples in -1..1 (floats may exceed it) for successive blocks
 * of whole frames, in order. The samples array is reused between calls. With `onPcm16`, 16-bit
 * PCM goes to it instead, as the stored integers (a view of the read window where aligned).
 */
export async function forEachSampleBlock (src: ByteSource, fmt: WavFormat, onBlock: (samples: Float32Array, frames: number) => void, onPcm16?: (samples: Int16Array, frames: number) => void): Promise<void> {
  src.seek(fmt.dataOffset, 'WAV data')
  if (fmt.framesPerBlock > 1) return await forEachAdpcmBlock(src, fmt, onBlock)
  const framesPerBlock = Math.max(1, Math.floor(READ_BLOCK_BYTES / fmt.blockAlign))
  if (onPcm16 !== undefined && LITTLE_ENDIAN && fmt.encoding === 'pcm' && !fmt.float && fmt.bitDepth === 16) return await forEachPcm16Block(src, fmt, framesPerBlock, onPcm16)
  const samples = new Float32Array(framesPerBlock * fmt.channels)
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

async function forEachPcm16Block (src: ByteSource, fmt: WavFormat, framesPerBlock: number, onBlock: (samples: Int16Array, frames: number) => void): Promise<void> {
  let aligned: Int16Array | undefined
  let left = fmt.frames
  while (left > 0) {
    const frames = Math.min(framesPerBlock, left)
    const bytes = frames * fmt.blockAlign
    await src.need(bytes, 'WAV samples')
    const at = src.bytes.byteOffset + src.pos
    let samples: Int16Array
    if (at % 2 === 0) samples = new Int16Array(src.bytes.buffer, at, bytes / 2)
    else {
      // a data chunk at an odd offset (RIFF pads chunks to even ones, but not every writer does)
      aligned ??= new Int16Array(framesPerBlock * fmt.channels)
      new Uint8Array(aligned.buffer).set(src.bytes.subarray(src.pos, src.pos + bytes))
      samples = aligned
    }
    src.pos += bytes
    left -= frames
    onBlock(samples, frames)
  }
}

/** ADPCM: whole blocks (about READ_BLOCK_BYTES at a time) decoded to floats. */
async function forEachAdpcmBlock (src: ByteSource, fmt: WavFormat, onBlock: (samples: Float32Array, frames: number) => void): Promise<void> {
  const blocksPerRead = Math.max(1, Math.floor(READ_BLOCK_BYTES / fmt.blockAlign))
  const samples = new Float32Array(blocksPerRead * fmt.framesPerBlock * fmt.channels)
  const block = new Float32Array(fmt.framesPerBlock * fmt.channels)
  const decode = fmt.encoding === 'ima-adpcm' ? decodeImaBlock : decodeMsBlock
  let blocks = fmt.dataLength / fmt.blockAlign; let left = fmt.frames
  while (blocks > 0 && left > 0) {
    const n = Math.min(blocksPerRead, blocks)
    await src.need(n * fmt.blockAlign, 'WAV ADPCM blocks')
    let frames = 0
    for (let i = 0; i < n; i++) {
      const got = decode(src.bytes, src.pos + i * fmt.blockAlign, fmt.blockAlign, fmt.channels, block)
      samples.set(block.subarray(0, got * fmt.channels), frames * fmt.channels)
      frames += got
    }
    src.pos += n * fmt.blockAlign
    blocks -= n
    frames = Math.min(frames, left); left -= frames
    onBlock(samples, frames)
  }
}

const G711: Record<string, Float32Array> = {}
/** 256-entry tables from the alawmulaw codec, built once. */
function g711Table (encoding: 'alaw' | 'mulaw'): Float32Array {
  if (G711[encoding] !== undefined) return G711[encoding]
  const alawmulaw = requireCjs<typeof alawmulawLib>('alawmulaw')
  const t = new Float32Array(256)
  for (let i = 0; i < 256; i++) t[i] = (encoding === 'alaw' ? alawmulaw.alaw.decodeSample(i) : alawmulaw.mulaw.decodeSample(i)) / 32768
  G711[encoding] = t
  return t
}

function convert (b: Uint8Array, o: number, n: number, fmt: WavFormat, out: Float32Array): void {
  if (fmt.encoding === 'alaw' || fmt.encoding === 'mulaw') {
    const t = g711Table(fmt.encoding)
    for (let i = 0; i < n; i++) out[i] = t[b[o + i]]
    return
  }
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
