import { createRequire } from 'node:module'

/** why lazy: fastcdc-wasm compiles its wasm when loaded; only commands that chunk content pay for it (synchronous, hence require) */
const requireHere = createRequire(import.meta.url)
const getChunkOffsets = (...args: Parameters<typeof import('fastcdc-wasm').get_chunks>): ReturnType<typeof import('fastcdc-wasm').get_chunks> =>
  (requireHere('fastcdc-wasm') as typeof import('fastcdc-wasm')).get_chunks(...args)

/** FastCDC sizes: min/avg/max 16/64/256 KiB (DESIGN.md). */
export const CHUNK_MIN = 16 * 1024
export const CHUNK_AVG = 64 * 1024
export const CHUNK_MAX = 256 * 1024

/**
 * Bytes handed to fastcdc-wasm per call. fastcdc-wasm only cuts a whole buffer, so we stream it
 * through a window ourselves: every cut but the last in a window is final, because FastCDC decides
 * a cut from the bytes since the previous cut only (at most CHUNK_MAX of them); the last piece is
 * carried into the next window. Memory stays at about one window whatever the file size.
 */
const WINDOW = 4 * 1024 * 1024

/**
 * Splits a byte stream into content-defined chunks. The chunks depend only on the bytes, never on
 * how the stream was cut into reads.
 */
export async function * chunkStream (source: AsyncIterable<Uint8Array>): AsyncGenerator<Buffer> {
  let carry: Buffer = Buffer.alloc(0)
  let pending: Buffer[] = []
  let pendingBytes = 0
  for await (const piece of source) {
    pending.push(Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength))
    pendingBytes += piece.byteLength
    if (carry.length + pendingBytes < WINDOW) continue
    const window = joined(carry, pending, pendingBytes)
    pending = []
    pendingBytes = 0
    carry = yield * cutWindow(window, false)
  }
  const last = joined(carry, pending, pendingBytes)
  if (last.length > 0) yield * cutWindow(last, true)
}

/** The carried tail and the pieces read since, as one buffer: copied only when there is more than one (a small file read whole is cut where it lies). */
function joined (carry: Buffer, pending: Buffer[], pendingBytes: number): Buffer {
  if (carry.length === 0 && pending.length === 1) return pending[0]
  return Buffer.concat([carry, ...pending], carry.length + pendingBytes)
}

/** Yields the final chunks of `window` and returns the unfinished tail (empty at end of input). */
function * cutWindow (window: Buffer, endOfInput: boolean): Generator<Buffer, Buffer> {
  // fastcdc-wasm returns every boundary, 0 and window.length included.
  const bounds = getChunkOffsets(window, CHUNK_MIN, CHUNK_AVG, CHUNK_MAX)
  const pieces = bounds.length - 1
  const finalCount = endOfInput ? pieces : pieces - 1
  for (let i = 0; i < finalCount; i++) yield window.subarray(bounds[i], bounds[i + 1])
  return endOfInput ? Buffer.alloc(0) : window.subarray(bounds[pieces - 1])
}
