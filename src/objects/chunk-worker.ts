import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'
import { CHUNK_AVG, CHUNK_MAX, CHUNK_MIN } from './chunker.js'

/**
 * FastCDC on a second core. The caller reads a file into shared slots; the worker cuts the very
 * same bytes (no second read that could see a file changing underneath), copied once into its wasm memory,
 * and answers with the chunk lengths, in order, and the ids of most of them (WORKER_HASH_SHARE). It keeps
 * the same cut rule as chunkStream (chunker.ts), so both give identical chunks for identical bytes.
 * Inline CommonJS source so it runs the same from dist/ and under the test runner.
 */
/*
 * The window (the unfinished tail of the last one, then the new slot) lives in the wasm memory
 * itself, allocated once. why not fastcdc-wasm's get_chunks wrapper: it allocates and copies in
 * on every call, then copies the bytes back into the caller's buffer (its Rust signature takes
 * &mut [u8]): for this shared ring, two relaxed (byte-wise) copies per byte and a write into
 * memory the main thread is hashing. Its exported function, called directly, needs one copy in.
 * The wasm-bindgen calling convention (return area on the shadow stack) is checked by the tests,
 * which compare every cut with chunkStream's.
 * Inside: every boundary comes back, 0 and windowLen included, and every cut but the last is final
 * (chunker.ts); the unfinished tail (at most max bytes) moves to the front, where the next slot
 * joins it; Buffer#fill with a buffer value copies through memcpy, where set() would copy out of
 * shared memory word by word.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const { createHash } = require('node:crypto')
const { min, avg, max, slotBytes, hashShare } = workerData
const ring = Buffer.from(workerData.ring)
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
parentPort.on('message', ({ slot, length, eof, first }) => {
  try {
    if (first) carryLen = 0
    const slotPos = slot * slotBytes
    if (length > 0) Buffer.from(wasm.memory.buffer).fill(ring.subarray(slotPos, slotPos + length), base + carryLen, base + carryLen + length)
    const windowLen = carryLen + length
    const ids = []
    const lengths = []
    carryLen = 0
    if (windowLen > 0) {
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
/** A chunk (≤ CHUNK_MAX < SLOT_BYTES) spans at most two slots; eight let reads run ahead of cutting and cutting ahead of storing. */
export const SLOT_COUNT = 8
/** why: a worker costs ~25 ms to start (thread, wasm); kept this long after a file, the next large file of an add reuses it */
const IDLE_MS = 5000

const fastcdcPath = createRequire(import.meta.url).resolve('fastcdc-wasm')

export interface ChunkAnswer { slot: number, ids?: string[], lengths?: number[], error?: string }

let idle: ChunkWorker | undefined
let idleTimer: ReturnType<typeof setTimeout> | undefined

/** One chunking worker and its ring of shared slots, used by one file at a time. */
export class ChunkWorker {
  readonly slots: Buffer[]
  private readonly answers: ChunkAnswer[] = []
  private wake: (() => void) | undefined
  private failure: Error | undefined

  private constructor (private readonly worker: Worker, ring: SharedArrayBuffer) {
    this.slots = Array.from({ length: SLOT_COUNT }, (_, i) => Buffer.from(ring, i * SLOT_BYTES, SLOT_BYTES))
    worker.on('message', (m: ChunkAnswer) => { this.answers.push(m); this.fire() })
    worker.on('error', (err) => { this.failure = err; this.fire() })
  }

  private fire (): void {
    const wake = this.wake
    this.wake = undefined
    wake?.()
  }

  private static create (): ChunkWorker {
    const ring = new SharedArrayBuffer(SLOT_COUNT * SLOT_BYTES)
    return new ChunkWorker(new Worker(WORKER_SOURCE, { eval: true, workerData: { fastcdcPath, ring, slotBytes: SLOT_BYTES, min: CHUNK_MIN, avg: CHUNK_AVG, max: CHUNK_MAX, hashShare: WORKER_HASH_SHARE } }), ring)
  }

  /**
   * Starts a worker now, kept idle for the next take(). why: its thread and wasm take ~50 ms to
   * start (measured through the CLI), time the second core can spend while this one loads a command's modules.
   */
  static prestart (): void {
    if (idle === undefined) this.create().release(true)
  }

  /** Whether a worker waits idle (started ahead, or kept from the last file). */
  static get idleReady (): boolean {
    return idle !== undefined
  }

  /** The idle worker if there is one, else a new one. */
  static take (): ChunkWorker {
    const reused = idle
    if (reused === undefined) return this.create()
    idle = undefined
    clearTimeout(idleTimer)
    reused.worker.ref()
    return reused
  }

  /** Hands the worker `length` bytes of `slot`; `first` starts a new file (no tail carried over). */
  post (slot: number, length: number, eof: boolean, first: boolean): void {
    this.worker.postMessage({ slot, length, eof, first })
  }

  /** The next answer if one has arrived (the worker's failure is thrown); never waits. */
  poll (): ChunkAnswer | undefined {
    if (this.answers.length === 0 && this.failure !== undefined) throw this.failure
    return this.answers.shift()
  }

  /** Called once when the next answer (or a failure) arrives; the caller waits on other events too. */
  notifyOnce (wake: () => void): void {
    this.wake = wake
  }

  /** Done with a file: a worker that answered every slot of it waits idle for the next file; any other is stopped. */
  release (clean: boolean): void {
    if (!clean || this.failure !== undefined || this.answers.length > 0 || idle !== undefined) {
      void this.worker.terminate()
      return
    }
    this.worker.unref() // an idle worker never holds the process open
    idle = this
    idleTimer = setTimeout(() => {
      if (idle !== this) return
      idle = undefined
      void this.worker.terminate()
    }, IDLE_MS)
    idleTimer.unref()
  }
}
