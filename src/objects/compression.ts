import { createRequire } from 'node:module'
import type { Decoder as ZstdDecoder, Encoder as ZstdEncoder } from '@toondepauw/node-zstd'
import { GasError } from '../errors.js'
import type { Encoding } from './store.js'
import { zstdDecodedBound } from './zstd-bound.js'
import { noteNativeGarbage } from './native-garbage.js'

/**
 * Loaded on first use (a native module costs start-up time that status, log or whoami never need:
 * their objects are stored uncompressed). Synchronous, hence require.
 */
const requireHere = createRequire(import.meta.url)
const zstd = (): typeof import('@toondepauw/node-zstd') => requireHere('@toondepauw/node-zstd') as typeof import('@toondepauw/node-zstd')
let encoderOnce: ZstdEncoder | undefined
let decoderOnce: ZstdDecoder | undefined
/** zstd level 1: ~260 MB/s on compressible data and ~880 MB/s on incompressible (measured here). */
const encoder = (): ZstdEncoder => (encoderOnce ??= new (zstd().Encoder)(1))
const decoder = (): ZstdDecoder => (decoderOnce ??= new (zstd().Decoder)())

/** Formats whose bytes are already compressed: trying again only burns time. */
const PRECOMPRESSED = new Set(['png', 'jpeg', 'webp', 'ogg', 'mp3', 'flac', 'zip', '7z', 'gz', 'mp4', 'webm', 'glb-draco', 'ktx2', 'rar', 'xz', 'zst', 'pak'])

/** Stored compressed only when it saves at least this share. */
const MIN_SAVING = 0.10

/** Bytes sampled to judge compressibility before compressing a whole chunk (~25 µs). */
const SAMPLE = 4096

export function isPrecompressedFormat (format: string): boolean {
  return PRECOMPRESSED.has(format)
}

export interface Compressed { encoding: Encoding, bytes: Uint8Array }

/** why: zstd's frame and block headers take ~12 bytes; a chunk this small (a small file's only one) cannot save 10 % */
const MIN_COMPRESSIBLE = 64

/** Compresses when it pays; a cheap sample rejects random-looking data first. */
export function compressChunk (raw: Uint8Array): Compressed {
  if (raw.length < MIN_COMPRESSIBLE) return { encoding: 0, bytes: raw }
  if (raw.length >= SAMPLE * 4) {
    const sample = Buffer.from(raw.buffer, raw.byteOffset + (raw.length >> 1) - SAMPLE / 2, SAMPLE)
    if (encoder().encodeSync(sample).length > SAMPLE * (1 - MIN_SAVING / 2)) return { encoding: 0, bytes: raw }
  }
  const packed = encoder().encodeSync(Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength))
  if (packed.length <= raw.length * (1 - MIN_SAVING)) return { encoding: 1, bytes: packed }
  return { encoding: 0, bytes: raw }
}

/** why: the largest object a pack entry holds (pack-entry.ts MAX_ENTRY); a claim beyond it is not an object of ours */
export const MAX_DECODED_BYTES = 64 * 1024 * 1024

/**
 * why: an honest zstd stream decodes to its length plus at most one part-filled block; the slack of
 * rawLength (at least 128 KiB) leaves room for encoders that split blocks finer, and still bounds what
 * a crafted stream can make the native decoder allocate
 */
function maxDecodedBound (rawLength: number): number {
  return rawLength + Math.max(rawLength, 128 * 1024)
}

export function decompress (encoding: Encoding, bytes: Uint8Array, rawLength: number, what: string): Uint8Array {
  if (encoding === 0) return bytes
  if (!Number.isSafeInteger(rawLength) || rawLength < 0 || rawLength > MAX_DECODED_BYTES) throw new GasError('E_CORRUPT_OBJECT', `${what}: claims ${rawLength} decoded bytes, more than ${MAX_DECODED_BYTES}`, { id: what })
  const bound = zstdDecodedBound(bytes)
  if (bound === undefined) throw new GasError('E_CORRUPT_OBJECT', `${what}: compressed bytes do not decode`, { id: what })
  if (bound > maxDecodedBound(rawLength)) throw new GasError('E_CORRUPT_OBJECT', `${what}: compressed bytes could decode to ${bound} bytes, not ${rawLength}`, { id: what })
  let raw: Uint8Array
  try {
    raw = decoder().decodeSync(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength))
  } catch {
    throw new GasError('E_CORRUPT_OBJECT', `${what}: compressed bytes do not decode`, { id: what })
  }
  if (raw.length !== rawLength) throw new GasError('E_CORRUPT_OBJECT', `${what}: decoded to ${raw.length} bytes, expected ${rawLength}`, { id: what })
  noteNativeGarbage(raw.length)
  return raw
}
