import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'
import { GasError } from '../errors.js'
import { CHUNK_AVG, CHUNK_MAX, CHUNK_MIN } from './chunker.js'
import { hashObject } from './id.js'

/**
 * FastCDC on a second core. The caller reads a file into shared slots; the worker cuts the very
 * same bytes (no second read that could see a file changing underneath), copied once into its wasm memory,
 * and answers with the chunk lengths, in order, and the ids of most of them (WORKER_HASH_SHARE). It keeps
 * the same cut rule as chunkStream (chunker.ts), so both give identical chunks for identical bytes.
 * Inline CommonJS source so it runs the same from dist/ and under the test runner.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const { createHash } = require('node:crypto')
const { min, avg, max, slotBytes, hashShare } = workerData
const ring = Buffer.from(workerData.ring)
// The window (the unfinished tail of the last one, then the new slot) lives in the wasm memory
// itself, allocated once. why not fastcdc-wasm's get_chunks wrapper: it allocates and copies in
// on every call, then copies the bytes back into the caller's buffer (its Rust signature takes
// &mut [u8]): for this shared ring, two relaxed (byte-wise) copies per byte and a write into
// memory the main thread is hashing. Its exported function, called directly, needs one copy in.
// The wasm-bindgen calling convention (return area on the shadow stack) is checked by the tests,
// which compare every cut with chunkStream's.
const wasm = require(workerData.fastcdcPath).__wasm
const base = wasm.__wbindgen_malloc(slotBytes + max)
let carryLen = 0
let chunkIndex = 0
function boundsOf (windowLen) {
  const retptr = wasm.__wbindgen_add_to_stack_pointer(-16)
  try {
    wasm.get_chunks(retptr, base, windowLen, min, avg, max)
    const [at, count] = new Int32Array(wasm.memory.buffer, retptr, 2)
    const bounds = new Uint32Array(wasm.memory.buffer, at, count).slice()
    wasm.__wbindgen_free(at, count * 4)
    return bounds
  } finally {
    wasm.__wbindgen_add_to_stack_pointer(16)
  }
}
parentPort.on('message', ({ slot, length, eof }) => {
  try {
    const slotPos = slot * slotBytes
    // Buffer#fill with a buffer value copies through memcpy, where set() would copy out of shared memory word by word
    if (length > 0) Buffer.from(wasm.memory.buffer).fill(ring.subarray(slotPos, slotPos + length), base + carryLen, base + carryLen + length)
    const windowLen = carryLen + length
    const ids = []
    const lengths = []
    carryLen = 0
    if (windowLen > 0) {
      // every boundary, 0 and windowLen included; every cut but the last is final (chunker.ts)
      const bounds = boundsOf(windowLen)
      const pieces = bounds.length - 1
      const final = eof ? pieces : pieces - 1
      for (let i = 0; i < final; i++) {
        const chunkLength = bounds[i + 1] - bounds[i]
        if (chunkIndex++ % 8 < hashShare) {
          const chunk = Buffer.from(wasm.memory.buffer, base + bounds[i], chunkLength)
          ids.push(createHash('sha256').update('chunk ' + chunkLength + '\\0').update(chunk).digest('hex'))
        } else ids.push('')
        lengths.push(chunkLength)
      }
      if (!eof) {
        // the unfinished tail (at most max bytes) moves to the front, where the next slot joins it
        const tail = bounds[pieces - 1]
        carryLen = windowLen - tail
        new Uint8Array(wasm.memory.buffer).copyWithin(base, base + tail, base + windowLen)
      }
    }
    parentPort.postMessage({ slot, ids, lengths })
  } catch (err) {
    parentPort.postMessage({ slot, error: String(err && err.message || err) })
  }
})
`

/**
 * How many of every 8 chunks the worker hashes; this thread hashes the others, beside the
 * whole-file SHA-256 of every byte. why 6: measured per thread through the CLI (1 GiB, random):
 * with all 8 the worker took 1.53 CPU s to this thread's 1.25, with 4 it took 1.26 to 1.57; at 6
 * each takes ~1.2 s, so neither waits for the other.
 */
const WORKER_HASH_SHARE = 6

/** Slot size: one read; several slots let reading, cutting and storing overlap. */
export const SLOT_BYTES = 2 * 1024 * 1024
/** A chunk (≤ CHUNK_MAX < SLOT_BYTES) spans at most two slots; six keep every stage busy. */
const SLOT_COUNT = 6

const fastcdcPath = createRequire(import.meta.url).resolve('fastcdc-wasm')

export interface CutChunk { id: string, bytes: Buffer }

/**
 * Streams a readable source through the worker and yields each chunk's id and bytes, in order.
 * `read(into)` fills a slot and returns how many bytes it read (0 at the end); `onData` sees every
 * byte once, in order (for the whole-file SHA-256 on this thread). Yielded bytes are valid only
 * until the next iteration: the slot they live in is then reused.
 */
export async function * cutInParallel (read: (into: Buffer) => Promise<number>, onData: (bytes: Buffer) => void): AsyncGenerator<CutChunk> {
  const ring = new SharedArrayBuffer(SLOT_COUNT * SLOT_BYTES)
  const slots = Array.from({ length: SLOT_COUNT }, (_, i) => Buffer.from(ring, i * SLOT_BYTES, SLOT_BYTES))
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { fastcdcPath, ring, slotBytes: SLOT_BYTES, min: CHUNK_MIN, avg: CHUNK_AVG, max: CHUNK_MAX, hashShare: WORKER_HASH_SHARE } })
  const answers: Array<{ slot: number, ids?: string[], lengths?: number[], error?: string }> = []
  let wake: (() => void) | undefined
  let failure: Error | undefined
  worker.on('message', (m) => { answers.push(m); wake?.() })
  worker.on('error', (err) => { failure = err; wake?.() })
  const next = async (): Promise<(typeof answers)[number]> => {
    while (answers.length === 0) {
      if (failure !== undefined) throw failure
      await new Promise<void>((resolve) => { wake = resolve })
      wake = undefined
    }
    return answers.shift()!
  }

  // Slots in stream order: index, offset of its first byte in the stream, length, and which post it was
  const inUse: Array<{ slot: number, start: number, length: number, post: number }> = []
  const free = Array.from({ length: SLOT_COUNT }, (_, i) => i)
  let readOffset = 0
  let consumed = 0
  let posted = 0
  let answered = 0
  let eof = false

  const postRead = async (): Promise<void> => {
    const slot = free.shift()!
    const length = await read(slots[slot])
    eof = length === 0 || length < SLOT_BYTES
    inUse.push({ slot, start: readOffset, length, post: posted })
    readOffset += length
    // the worker starts cutting while this thread hashes the same bytes (both only read them)
    worker.postMessage({ slot, length, eof })
    posted++
    onData(slots[slot].subarray(0, length))
  }

  /** The bytes [offset, offset+length) of the stream: a view when in one slot, a copy across two. */
  const bytesAt = (offset: number, length: number): Buffer => {
    const first = inUse.findIndex((s) => offset < s.start + s.length)
    const a = inUse[first]
    const from = offset - a.start
    if (from + length <= a.length) return slots[a.slot].subarray(from, from + length)
    const b = inUse[first + 1]
    return Buffer.concat([slots[a.slot].subarray(from, a.length), slots[b.slot].subarray(0, length - (a.length - from))])
  }

  try {
    // Keep all but two slots busy reading ahead: one is being consumed, one may hold a chunk's head.
    while (!eof && free.length > 2) await postRead()
    while (answered < posted) {
      const answer = await next()
      answered++
      if (answer.error !== undefined) throw new GasError('E_IO', `chunking failed: ${answer.error}`)
      const { ids = [], lengths = [] } = answer
      for (let i = 0; i < lengths.length; i++) {
        const bytes = bytesAt(consumed, lengths[i])
        yield { id: ids[i] === undefined || ids[i] === '' ? hashObject('chunk', bytes) : ids[i], bytes }
        consumed += lengths[i]
      }
      // a slot whose every byte is in a yielded chunk goes back to the pool
      while (inUse.length > 0 && inUse[0].post < answered && inUse[0].start + inUse[0].length <= consumed) free.push(inUse.shift()!.slot)
      while (!eof && free.length > 2) await postRead()
    }
  } finally {
    void worker.terminate()
  }
}
