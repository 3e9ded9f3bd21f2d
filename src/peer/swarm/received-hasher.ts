import { Worker } from 'node:worker_threads'
import type { ObjectId } from '../../objects/id.js'
import type { EncodedObject } from '../../objects/store.js'

/**
 * SHA-256 of received objects on a second thread. Each raw object of at least
 * MIN_OFF_THREAD_BYTES is copied into a ring of shared memory (one memcpy, ~1/10 of hashing it)
 * and hashed there by a worker, one message per turn (the objects of a frame arrive in one turn),
 * the ids coming back in order. The swarm still compares each id with the one it asked for
 * before the object is stored (store.putEncoded's `hashedId`); only where the hashing runs changes.
 * When the ring is full (the worker is behind), the worker is still starting, or it failed, the
 * answer is undefined and the store hashes the bytes itself, as before.
 *
 * why: hashing was ~30% of the receiving main thread (profiled, 512 MiB over TCP: 281 of ~1000 ms),
 * and that thread, which also decrypts TLS and parses frames, is what limited the fetch; the
 * second core had room. Compressed objects are left to the store (their raw bytes must be decoded
 * first), which also means a fetch of compressible content never starts the worker (~10 MiB).
 * why a copy and not the frames themselves in shared memory: frames nobody holds are left to the
 * garbage collector, and 1 MiB SharedArrayBuffers piled up longer than ordinary ones (10 GB sync:
 * peak RSS +35 MiB).
 * Inline CommonJS source, as chunk-worker.ts: it runs the same from dist/ and under the test runner.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const { createHash } = require('node:crypto')
const ring = Buffer.from(workerData.ring)
parentPort.on('message', ({ spans, types }) => {
  try {
    const ids = []
    for (let i = 0; i < types.length; i++) {
      const at = spans[2 * i]
      const length = spans[2 * i + 1]
      ids.push(createHash('sha256').update(types[i] + ' ' + length + '\\0', 'latin1').update(ring.subarray(at, at + length)).digest('hex'))
    }
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
  spans: number[]
  types: string[]
  /** ring bytes each object took (its length, plus the end of the ring skipped before it) */
  costs: number[]
  answers: Array<(id: ObjectId | undefined) => void>
}

/** One worker for the process and its ring, started on the first object worth it. */
export class ReceivedHasher {
  /** objects the worker hashed so far (for tests and figures) */
  hashed = 0
  #worker: Worker | undefined
  /** the worker runs its code: until then objects are hashed by the store (a start takes ~25 ms, which the first object would wait) */
  #online = false
  #ring: Buffer | undefined
  /** where the next object goes, and the ring bytes taken by objects not answered yet */
  #head = 0
  #used = 0
  #forming: Batch | undefined
  /** batches posted, oldest first (the worker answers in order) */
  readonly #posted: Batch[] = []
  #idleTimer: ReturnType<typeof setTimeout> | undefined

  hash (object: EncodedObject): Promise<ObjectId | undefined> | undefined {
    const bytes = object.bytes
    if (object.encoding !== 0 || bytes.byteLength < MIN_OFF_THREAD_BYTES) return undefined
    const ring = this.#started()
    if (ring === undefined || !this.#online) return undefined
    const length = bytes.byteLength
    let at = this.#head
    const skipped = at + length > ring.length ? ring.length - at : 0
    if (skipped > 0) at = 0
    if (this.#used + skipped + length > ring.length) return undefined
    this.#used += skipped + length
    this.#head = at + length
    // why fill: a memcpy into shared memory (set() would copy word by word)
    ring.fill(bytes, at, at + length)
    let batch = this.#forming
    if (batch === undefined) {
      const forming: Batch = { spans: [], types: [], costs: [], answers: [] }
      this.#forming = batch = forming
      queueMicrotask(() => { if (this.#forming === forming) this.#post() })
    }
    batch.spans.push(at, length)
    batch.types.push(object.type)
    batch.costs.push(skipped + length)
    const answers = batch.answers
    return new Promise((resolve) => answers.push(resolve))
  }

  #post (): void {
    const batch = this.#forming
    this.#forming = undefined
    if (batch === undefined) return
    const worker = this.#worker
    if (worker === undefined) return this.#settle(batch, undefined)
    if (this.#posted.length === 0) worker.ref()
    this.#posted.push(batch)
    worker.postMessage({ spans: batch.spans, types: batch.types })
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
    this.#online = false
    this.#ring = Buffer.from(shared)
    this.#head = 0
    this.#used = 0
    worker.once('online', () => { if (this.#worker === worker) this.#online = true })
    this.#idle(worker)
    worker.on('message', (m: { ids?: string[] }) => this.#answered(m.ids))
    // a worker that fails leaves the hashing to the store: every object waiting is answered "not hashed"
    worker.on('error', () => this.#stop(worker))
    worker.on('exit', () => this.#stop(worker))
    return this.#ring
  }

  /** Stops the worker now (objects waiting are answered "not hashed"). */
  async close (): Promise<void> {
    const worker = this.#worker
    if (worker === undefined) return
    this.#stop(worker)
    clearTimeout(this.#idleTimer)
    await worker.terminate()
  }

  /** Starts the worker if none runs; true once it runs its code, false when it cannot start. */
  async ready (): Promise<boolean> {
    if (this.#started() === undefined) return false
    const worker = this.#worker!
    if (this.#online) return true
    return await new Promise<boolean>((resolve) => {
      worker.once('online', () => resolve(true))
      worker.once('exit', () => resolve(false))
    })
  }

  #answered (ids: string[] | undefined): void {
    const batch = this.#posted.shift()
    if (batch !== undefined) this.#settle(batch, ids)
    this.hashed += ids?.length ?? 0
    if (this.#posted.length > 0 || this.#worker === undefined) return
    this.#idle(this.#worker)
  }

  /** Nothing posted: the worker never holds the process open, and goes after a while. */
  #idle (worker: Worker): void {
    worker.unref()
    clearTimeout(this.#idleTimer)
    this.#idleTimer = setTimeout(() => { if (this.#posted.length === 0 && this.#forming === undefined) void worker.terminate() }, IDLE_MS)
    this.#idleTimer.unref()
  }

  /** Answers a batch's objects and gives their ring bytes back. */
  #settle (batch: Batch, ids: string[] | undefined): void {
    for (const cost of batch.costs) this.#used -= cost
    if (this.#used === 0) this.#head = 0
    batch.answers.forEach((answer, i) => answer(ids?.[i]))
  }

  #stop (worker: Worker): void {
    if (this.#worker !== worker) return
    this.#worker = undefined
    this.#online = false
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

/** Starts the hashing worker ahead of the objects (the first ones are hashed by the store while it starts); true once it runs. */
export async function receivedHasherReady (): Promise<boolean> {
  return await shared.ready()
}

/** How many received objects the worker hashed in this process. */
export function receivedObjectsHashedOffThread (): number {
  return shared.hashed
}
