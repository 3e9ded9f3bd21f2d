import { Worker } from 'node:worker_threads'
import type { ObjectId } from '../../objects/id.js'
import type { EncodedObject, EntryChecksum } from '../../objects/store.js'
import { directFrames, type SharedFrames } from '../transport/shared-frames.js'
import { crc32ModulePath } from '../../pack/entry-checksum.js'

/**
 * SHA-256 of received objects on a second thread. Each raw object of at least
 * MIN_OFF_THREAD_BYTES is hashed by a worker where its frame holds it, when the frame is one of the
 * direct path's shared buffers (shared-frames.ts), or else from a copy in a ring of shared memory
 * (one memcpy, ~1/10 of hashing it); one message per turn (the objects of a frame arrive in one
 * turn), the ids coming back in order. The swarm still compares each id with the one it asked for
 * before the object is stored (store.putEncoded's `hashedId`); only where the hashing runs changes.
 * When the ring is full (the worker is behind), the worker is still starting, or it failed, the
 * answer is undefined and the store hashes the bytes itself, as before.
 *
 * why: hashing was ~30% of the receiving main thread (profiled, 512 MiB over TCP: 281 of ~1000 ms),
 * and that thread, which also decrypts TLS and parses frames, is what limited the fetch; the
 * second core had room. Compressed objects are left to the store (their raw bytes must be decoded
 * first), which also means a fetch of compressible content never starts the worker (~10 MiB).
 * A frame is not reused before its objects are answered: the swarm holds it until the put that
 * awaits the id is done.
 * Inline CommonJS source, as chunk-worker.ts: it runs the same from dist/ and under the test runner.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const { createHash } = require('node:crypto')
let crc32 = require('node:zlib').crc32
try { if (workerData.crc32Path) crc32 = require(workerData.crc32Path).crc32 } catch {}
const ring = Buffer.from(workerData.ring)
const frames = new Map()
parentPort.on('message', ({ spans, types, seeds, added, dropped }) => {
  try {
    for (const [id, memory] of added) frames.set(id, Buffer.from(memory))
    for (const id of dropped) frames.delete(id)
    const ids = []
    const crcs = []
    for (let i = 0; i < types.length; i++) {
      const source = spans[3 * i] < 0 ? ring : frames.get(spans[3 * i])
      const at = spans[3 * i + 1]
      const length = spans[3 * i + 2]
      const bytes = source.subarray(at, at + length)
      ids.push(createHash('sha256').update(types[i] + ' ' + length + '\\0', 'latin1').update(bytes).digest('hex'))
      crcs.push(seeds[i] < 0 ? -1 : crc32(bytes, seeds[i]))
    }
    parentPort.postMessage({ ids, crcs })
  } catch (err) {
    parentPort.postMessage({ error: String(err && err.message || err) })
  }
})
`

/** why: below this the copy and the message cost about what hashing on this thread does */
export const MIN_OFF_THREAD_BYTES = 16 * 1024
/**
 * why 2 MiB: over the direct path most chunks are hashed in their shared frame; the ring takes the
 * rest (a chunk split across two frames and put back together, frames past MAX_SHARED_FRAMES), a
 * few frames' worth at most; more only holds memory (a 10 GB sync's peak RSS is near its floor)
 */
export const RING_BYTES = 2 * 1024 * 1024
/** why: a worker costs ~25 ms to start; kept this long after the last object, a fetch's next slice (or the next fetch) reuses it */
const IDLE_MS = 5000

interface Batch {
  /** per object: the shared frame holding it (its id) or -1 for the ring, where it starts there, its length */
  spans: number[]
  types: string[]
  /** per object: the CRC-32 to continue over its bytes, or -1 for none */
  seeds: number[]
  /** shared frames the worker has not seen yet, and those it may forget */
  added: Array<[number, SharedArrayBuffer]>
  dropped: number[]
  /** ring bytes each object took (its length, plus the end of the ring skipped before it) */
  costs: number[]
  answers: Array<(hashed: ReceivedHash | undefined) => void>
}

/** A received object's id, and its entry's CRC-32 when a seed was given (its seed, continued over the bytes). */
export interface ReceivedHash { id: ObjectId, checksum?: EntryChecksum }

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
  /** shared frames the current worker has */
  readonly #framesSent = new Set<number>()

  constructor (private readonly frames: SharedFrames = directFrames) {}

  /** `seedOf`: a CRC-32 to continue over the bytes too (the store's entry header's: receivedChecksumSeed), asked only of an object the worker takes. */
  hash (object: EncodedObject, seedOf?: () => number | undefined): Promise<ReceivedHash | undefined> | undefined {
    const bytes = object.bytes
    if (object.encoding !== 0 || bytes.byteLength < MIN_OFF_THREAD_BYTES) return undefined
    const ring = this.#started()
    if (ring === undefined || !this.#online) return undefined
    const seed = seedOf?.()
    const length = bytes.byteLength
    const frame = this.frames.idOf(bytes.buffer)
    if (frame !== undefined) {
      // hashed where the frame holds it: no copy
      const batch = this.#batch()
      if (!this.#framesSent.has(frame)) {
        batch.added.push([frame, this.frames.memoryOf(frame)!])
        this.#framesSent.add(frame)
      }
      return this.#add(batch, object, seed, frame, bytes.byteOffset, 0)
    }
    let at = this.#head
    const skipped = at + length > ring.length ? ring.length - at : 0
    if (skipped > 0) at = 0
    if (this.#used + skipped + length > ring.length) return undefined
    this.#used += skipped + length
    this.#head = at + length
    // why fill: a memcpy into shared memory (set() would copy word by word)
    ring.fill(bytes, at, at + length)
    return this.#add(this.#batch(), object, seed, -1, at, skipped + length)
  }

  /** The batch this turn's objects join, posted at the end of the turn. */
  #batch (): Batch {
    if (this.#forming !== undefined) return this.#forming
    const forming: Batch = { spans: [], types: [], seeds: [], added: [], dropped: [], costs: [], answers: [] }
    this.#forming = forming
    queueMicrotask(() => { if (this.#forming === forming) this.#post() })
    return forming
  }

  #add (batch: Batch, object: EncodedObject, seed: number | undefined, source: number, at: number, cost: number): Promise<ReceivedHash | undefined> {
    batch.spans.push(source, at, object.bytes.byteLength)
    batch.types.push(object.type)
    batch.seeds.push(seed ?? -1)
    batch.costs.push(cost)
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
    for (const id of this.frames.takeRetired()) {
      if (this.#framesSent.delete(id)) batch.dropped.push(id)
    }
    worker.postMessage({ spans: batch.spans, types: batch.types, seeds: batch.seeds, added: batch.added, dropped: batch.dropped })
  }

  /** The ring, with a worker on it (started now if needed); undefined if none can start. */
  #started (): Buffer | undefined {
    clearTimeout(this.#idleTimer)
    if (this.#worker !== undefined) return this.#ring
    const shared = new SharedArrayBuffer(RING_BYTES)
    let worker: Worker
    try {
      worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { ring: shared, crc32Path: crc32ModulePath() } })
    } catch {
      return undefined
    }
    this.#worker = worker
    this.#online = false
    this.#framesSent.clear()
    this.#ring = Buffer.from(shared)
    this.#head = 0
    this.#used = 0
    worker.once('online', () => { if (this.#worker === worker) this.#online = true })
    this.#idle(worker)
    worker.on('message', (m: { ids?: string[], crcs?: number[] }) => this.#answered(m.ids, m.crcs))
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

  #answered (ids: string[] | undefined, crcs: number[] | undefined): void {
    const batch = this.#posted.shift()
    if (batch !== undefined) this.#settle(batch, ids, crcs)
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
  #settle (batch: Batch, ids: string[] | undefined, crcs?: number[]): void {
    for (const cost of batch.costs) this.#used -= cost
    if (this.#used === 0) this.#head = 0
    batch.answers.forEach((answer, i) => {
      const id = ids?.[i]
      const crc = crcs?.[i]
      const seed = batch.seeds[i]
      answer(id === undefined ? undefined : crc === undefined || crc < 0 || seed < 0 ? { id } : { id, checksum: { seed, crc } })
    })
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
 * worker (where its frame holds it, or from a copy made now), and with `seedOf` its entry's
 * CRC-32 (the seed continued over its bytes); undefined when the object is small or compressed (the store hashes it), and the
 * promise gives undefined when the worker could not take it or failed.
 */
export function hashReceived (object: EncodedObject, seedOf?: () => number | undefined): Promise<ReceivedHash | undefined> | undefined {
  return shared.hash(object, seedOf)
}

/** Starts the hashing worker ahead of the objects (the first ones are hashed by the store while it starts); true once it runs. */
export async function receivedHasherReady (): Promise<boolean> {
  return await shared.ready()
}

/** How many received objects the worker hashed in this process. */
export function receivedObjectsHashedOffThread (): number {
  return shared.hashed
}
