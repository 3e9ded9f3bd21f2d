import { Worker } from 'node:worker_threads'
import type { ObjectId } from '../../objects/id.js'
import type { EncodedObject } from '../../objects/store.js'

/**
 * SHA-256 of received objects on a second thread. A fetch over the direct path receives its
 * frames into shared memory (frame-pool.ts), so a worker can hash an object where it lies: no
 * copy, one message per frame (the objects a frame carries are asked for in one turn and go
 * together), and the ids come back in order. The swarm still compares each id with the one it
 * asked for before the object is stored (store.putEncoded's `hashedId`); only where the hashing
 * runs changes.
 *
 * why: hashing was ~30% of the receiving main thread (profiled, 512 MiB over TCP: 281 of ~1000 ms),
 * and that thread, which also decrypts TLS and parses frames, is what limited the fetch; the
 * second core had room. Objects in ordinary memory, or compressed (their raw bytes must be decoded
 * first), are hashed by the store as before.
 * Inline CommonJS source, as chunk-worker.ts: it runs the same from dist/ and under the test runner.
 */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads')
const { createHash } = require('node:crypto')
parentPort.on('message', ({ buffer, spans, types }) => {
  try {
    const bytes = Buffer.from(buffer)
    const ids = []
    for (let i = 0; i < types.length; i++) {
      const at = spans[2 * i]
      const length = spans[2 * i + 1]
      ids.push(createHash('sha256').update(types[i] + ' ' + length + '\\0', 'latin1').update(bytes.subarray(at, at + length)).digest('hex'))
    }
    parentPort.postMessage({ ids })
  } catch (err) {
    parentPort.postMessage({ error: String(err && err.message || err) })
  }
})
`

/** why: a worker costs ~25 ms to start; kept this long after the last object, a fetch's next slice (or the next fetch) reuses it */
const IDLE_MS = 5000

interface Batch {
  buffer: SharedArrayBuffer
  spans: number[]
  types: string[]
  answers: Array<(id: ObjectId | undefined) => void>
}

/** One worker for the process, started on the first object in shared memory. */
class ReceivedHasher {
  #worker: Worker | undefined
  #forming: Batch | undefined
  /** batches posted, oldest first (the worker answers in order) */
  readonly #posted: Batch[] = []
  #idleTimer: ReturnType<typeof setTimeout> | undefined

  hash (object: EncodedObject): Promise<ObjectId | undefined> | undefined {
    const bytes = object.bytes
    if (object.encoding !== 0 || !(bytes.buffer instanceof SharedArrayBuffer)) return undefined
    let batch = this.#forming
    if (batch !== undefined && batch.buffer !== bytes.buffer) {
      this.#post()
      batch = undefined
    }
    if (batch === undefined) {
      batch = { buffer: bytes.buffer, spans: [], types: [], answers: [] }
      this.#forming = batch
      // the objects of one frame are handed over in one turn: they go in one message
      queueMicrotask(() => { if (this.#forming === batch) this.#post() })
    }
    batch.spans.push(bytes.byteOffset, bytes.byteLength)
    batch.types.push(object.type)
    const answers = batch.answers
    return new Promise((resolve) => answers.push(resolve))
  }

  #post (): void {
    const batch = this.#forming
    this.#forming = undefined
    if (batch === undefined) return
    const worker = this.#started()
    if (worker === undefined) return batch.answers.forEach((answer) => answer(undefined))
    this.#posted.push(batch)
    worker.postMessage({ buffer: batch.buffer, spans: batch.spans, types: batch.types })
  }

  #started (): Worker | undefined {
    clearTimeout(this.#idleTimer)
    if (this.#worker !== undefined) {
      if (this.#posted.length === 0) this.#worker.ref()
      return this.#worker
    }
    let worker: Worker
    try {
      worker = new Worker(WORKER_SOURCE, { eval: true })
    } catch {
      return undefined
    }
    this.#worker = worker
    worker.on('message', (m: { ids?: string[], error?: string }) => this.#answered(m.ids))
    // a worker that fails leaves the hashing to the store: every object waiting is answered "not hashed"
    worker.on('error', () => this.#stop(worker))
    worker.on('exit', () => this.#stop(worker))
    return worker
  }

  /** objects the worker hashed so far (for tests and figures) */
  hashed = 0

  #answered (ids: string[] | undefined): void {
    const batch = this.#posted.shift()
    if (batch !== undefined) batch.answers.forEach((answer, i) => answer(ids?.[i]))
    this.hashed += ids?.length ?? 0
    if (this.#posted.length > 0 || this.#worker === undefined) return
    // idle: it never holds the process open, and goes after a while
    const worker = this.#worker
    worker.unref()
    this.#idleTimer = setTimeout(() => { if (this.#posted.length === 0) void worker.terminate() }, IDLE_MS)
    this.#idleTimer.unref()
  }

  #stop (worker: Worker): void {
    if (this.#worker !== worker) return
    this.#worker = undefined
    clearTimeout(this.#idleTimer)
    for (const batch of this.#posted.splice(0)) batch.answers.forEach((answer) => answer(undefined))
  }
}

const shared = new ReceivedHasher()

/**
 * The id of a received object (SHA-256 of `"<type> <size>\0"` and its bytes), computed on the
 * worker, when its bytes lie in shared memory uncompressed; undefined otherwise, and the promise
 * gives undefined if the worker failed (the store then hashes the bytes itself). The bytes must
 * stay as they are until the promise settles.
 */
export function hashReceived (object: EncodedObject): Promise<ObjectId | undefined> | undefined {
  return shared.hash(object)
}

/** How many received objects the worker hashed in this process. */
export function receivedObjectsHashedOffThread (): number {
  return shared.hashed
}
