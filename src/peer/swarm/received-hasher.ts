import { Worker } from 'node:worker_threads'
import type { ObjectId } from '../../objects/id.js'
import type { EncodedObject } from '../../objects/store.js'

/**
 * SHA-256 of received objects on a second thread. An object in a shared frame (the direct path's
 * large frames, frame-pool.ts: the frame is held until the object is stored) is hashed where it
 * is; any other of at least MIN_OFF_THREAD_BYTES is copied into a ring of shared memory (one
 * memcpy, ~1/10 of hashing it). One message per turn (the objects of a frame arrive in one turn),
 * the ids coming back in order. The swarm still compares each id with the one it asked for
 * before the object is stored (store.putEncoded's `hashedId`); only where the hashing runs changes.
 * When the ring is full (the worker is behind), or the worker failed, the answer is undefined and
 * the store hashes the bytes itself, as before.
 *
 * why: hashing was ~30% of the receiving main thread (profiled, 512 MiB over TCP: 281 of ~1000 ms),
 * and that thread, which also decrypts TLS and parses frames, is what limited the fetch; the
 * second core had room. Compressed objects are left to the store (their raw bytes must be decoded
 * first), which also means a fetch of compressible content never starts the worker (~10 MiB).
 * The worker knows each shared frame by a key, sent with the first object in it; a frame collected
 * here is forgotten there (FinalizationRegistry), so pooled frames come and go without piling up.
 * Inline CommonJS source, as chunk-worker.ts: it runs the same from dist/ and under the test runner.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const { createHash } = require('node:crypto')
const buffers = new Map([[0, Buffer.from(workerData.ring)]])
parentPort.on('message', ({ spans, types, shared, forget }) => {
  try {
    for (const [key, memory] of shared) buffers.set(key, Buffer.from(memory))
    const ids = []
    for (let i = 0; i < types.length; i++) {
      const buffer = buffers.get(spans[3 * i])
      const at = spans[3 * i + 1]
      const length = spans[3 * i + 2]
      ids.push(createHash('sha256').update(types[i] + ' ' + length + '\\0', 'latin1').update(buffer.subarray(at, at + length)).digest('hex'))
    }
    for (const key of forget) buffers.delete(key)
    parentPort.postMessage({ ids })
  } catch (err) {
    parentPort.postMessage({ error: String(err && err.message || err) })
  }
})
`

/** why: below this the copy and the message cost about what hashing on this thread does */
export const MIN_OFF_THREAD_BYTES = 16 * 1024
/** why 4 MiB: a few frames' worth, what is in flight between the two threads at ~1 GB/s; more only holds memory */
export const RING_BYTES = 4 * 1024 * 1024
/** why: a worker costs ~25 ms to start; kept this long after the last object, a fetch's next slice (or the next fetch) reuses it */
const IDLE_MS = 5000

interface Batch {
  /** per object: the memory it is in (0: the ring, else a shared frame's key), offset, length */
  spans: number[]
  types: string[]
  /** ring bytes each object took (its length, plus the end of the ring skipped before it; 0 in place) */
  costs: number[]
  answers: Array<(id: ObjectId | undefined) => void>
  /** bytes of the objects hashed in place */
  inPlaceBytes: number
  /** shared frames the worker sees for the first time, and keys of those gone here */
  shared: Array<[number, SharedArrayBuffer]>
  forget: number[]
}

/** One worker for the process and its ring, started on the first object worth it. */
class ReceivedHasher {
  /** objects the worker hashed so far, and of them hashed in place (for tests and figures) */
  hashed = 0
  hashedInPlace = 0
  #worker: Worker | undefined
  #ring: Buffer | undefined
  /** where the next object goes, and the ring bytes taken by objects not answered yet */
  #head = 0
  #used = 0
  /** bytes of objects hashed in place and not answered yet (bounded as the ring is: the worker may fall behind) */
  #inPlaceBytes = 0
  #forming: Batch | undefined
  /** batches posted, oldest first (the worker answers in order) */
  readonly #posted: Batch[] = []
  #idleTimer: ReturnType<typeof setTimeout> | undefined
  /** shared frames the worker knows, by key; a frame collected here is forgotten there with the next batch */
  #sharedKeys = new WeakMap<SharedArrayBuffer, number>()
  #nextKey = 1
  #gone: number[] = []
  readonly #collected = new FinalizationRegistry<{ key: number, worker: Worker }>(({ key, worker }) => { if (worker === this.#worker) this.#gone.push(key) })

  hash (object: EncodedObject): Promise<ObjectId | undefined> | undefined {
    const bytes = object.bytes
    if (object.encoding !== 0 || bytes.byteLength < MIN_OFF_THREAD_BYTES) return undefined
    const ring = this.#started()
    const worker = this.#worker
    if (ring === undefined || worker === undefined) return undefined
    const length = bytes.byteLength
    // an object in a shared frame (a large frame over the direct path, held until stored) is hashed where it is
    if (bytes.buffer instanceof SharedArrayBuffer) {
      // the worker is behind by a ring's worth already: this one is hashed by the store, here
      if (this.#inPlaceBytes + length > RING_BYTES) return undefined
      this.#inPlaceBytes += length
      const memory = bytes.buffer
      const batch = this.#batch()
      let key = this.#sharedKeys.get(memory)
      if (key === undefined) {
        key = this.#nextKey++
        this.#sharedKeys.set(memory, key)
        this.#collected.register(memory, { key, worker })
        batch.shared.push([key, memory])
      }
      batch.spans.push(key, bytes.byteOffset, length)
      batch.costs.push(0)
      batch.inPlaceBytes += length
      this.hashedInPlace++
    } else {
      let at = this.#head
      const skipped = at + length > ring.length ? ring.length - at : 0
      if (skipped > 0) at = 0
      if (this.#used + skipped + length > ring.length) return undefined
      this.#used += skipped + length
      this.#head = at + length
      // why fill: a memcpy into shared memory (set() would copy word by word)
      ring.fill(bytes, at, at + length)
      const batch = this.#batch()
      batch.spans.push(0, at, length)
      batch.costs.push(skipped + length)
    }
    const batch = this.#batch()
    batch.types.push(object.type)
    const answers = batch.answers
    return new Promise((resolve) => answers.push(resolve))
  }

  /** The batch being formed this turn (posted once the turn's objects are in). */
  #batch (): Batch {
    let batch = this.#forming
    if (batch === undefined) {
      const forming: Batch = { spans: [], types: [], costs: [], answers: [], inPlaceBytes: 0, shared: [], forget: [] }
      this.#forming = batch = forming
      queueMicrotask(() => { if (this.#forming === forming) this.#post() })
    }
    return batch
  }

  #post (): void {
    const batch = this.#forming
    this.#forming = undefined
    if (batch === undefined) return
    const worker = this.#worker
    if (worker === undefined) return this.#settle(batch, undefined)
    if (this.#posted.length === 0) worker.ref()
    this.#posted.push(batch)
    batch.forget = this.#gone.splice(0)
    worker.postMessage({ spans: batch.spans, types: batch.types, shared: batch.shared, forget: batch.forget })
  }

  /** The ring, with a worker on it (started now if needed); undefined if none can start. */
  #started (): Buffer | undefined {
    clearTimeout(this.#idleTimer)
    if (this.#worker !== undefined) return this.#ring
    const shared = new SharedArrayBuffer(RING_BYTES)
    let worker: Worker
    try {
      worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { ring: shared } })
    } catch {
      return undefined
    }
    this.#worker = worker
    this.#ring = Buffer.from(shared)
    // a new worker knows no frame yet
    this.#sharedKeys = new WeakMap()
    this.#gone = []
    this.#head = 0
    this.#used = 0
    worker.on('message', (m: { ids?: string[] }) => this.#answered(m.ids))
    // a worker that fails leaves the hashing to the store: every object waiting is answered "not hashed"
    worker.on('error', () => this.#stop(worker))
    worker.on('exit', () => this.#stop(worker))
    return this.#ring
  }

  #answered (ids: string[] | undefined): void {
    const batch = this.#posted.shift()
    if (batch !== undefined) this.#settle(batch, ids)
    this.hashed += ids?.length ?? 0
    if (this.#posted.length > 0 || this.#worker === undefined) return
    // idle: it never holds the process open, and goes after a while
    const worker = this.#worker
    worker.unref()
    this.#idleTimer = setTimeout(() => { if (this.#posted.length === 0 && this.#forming === undefined) void worker.terminate() }, IDLE_MS)
    this.#idleTimer.unref()
  }

  /** Answers a batch's objects and gives their ring bytes back. */
  #settle (batch: Batch, ids: string[] | undefined): void {
    for (const cost of batch.costs) this.#used -= cost
    this.#inPlaceBytes -= batch.inPlaceBytes
    if (this.#used === 0) this.#head = 0
    batch.answers.forEach((answer, i) => answer(ids?.[i]))
  }

  #stop (worker: Worker): void {
    if (this.#worker !== worker) return
    this.#worker = undefined
    this.#ring = undefined
    clearTimeout(this.#idleTimer)
    for (const batch of this.#posted.splice(0)) this.#settle(batch, undefined)
    if (this.#forming !== undefined) {
      const batch = this.#forming
      this.#forming = undefined
      this.#settle(batch, undefined)
    }
  }
}

const shared = new ReceivedHasher()

/**
 * The id of a received object (SHA-256 of `"<type> <size>\0"` and its bytes), computed on the
 * worker from a copy made now; undefined when the object is small or compressed (the store
 * hashes it), and the promise gives undefined when the worker could not take it or failed.
 */
export function hashReceived (object: EncodedObject): Promise<ObjectId | undefined> | undefined {
  return shared.hash(object)
}

/** How many received objects the worker hashed in this process. */
export function receivedObjectsHashedOffThread (): number {
  return shared.hashed
}

/** How many of them it hashed in the frame they came in (shared memory), without a copy. */
export function receivedObjectsHashedInPlace (): number {
  return shared.hashedInPlace
}
