import { LARGE_FRAME } from './transport.js'

/**
 * Receive buffers of the direct path in shared memory, a few for the whole process: the
 * received-hasher's worker (src/peer/swarm/received-hasher.ts) hashes each chunk where the frame
 * holds it instead of from a copy in its ring. why: that copy was one memcpy of every received
 * byte on the thread that limits a fetch (TLS, frames, the store's appends all run there).
 * why a fixed few, each kept for the process's life: a SharedArrayBuffer the worker has seen lives
 * on in the worker's heap until its garbage collector runs, which is seldom (it allocates little);
 * frames made and dropped per transfer piled up there (a 10 GB sync: +20 MiB of peak RSS). Here
 * each buffer is sent to the worker once, reused from frame to frame, and when one leaves for good
 * (a frame nobody held, see FramePool) the worker is told to let go of it too.
 */

/**
 * why 8: a steady fetch holds a few frames at once (the verify backlog's ~2 MiB, the one being
 * read), as many as a FramePool kept spare before; past this, frames are ordinary buffers and
 * their chunks are copied into the hasher's ring
 */
export const MAX_SHARED_FRAMES = 8

export class SharedFrames {
  readonly frameBytes: number
  readonly #free: Buffer[] = []
  /** buffers made and not retired */
  #live = 0
  #next = 0
  readonly #ids = new WeakMap<ArrayBufferLike, number>()
  readonly #memory = new Map<number, SharedArrayBuffer>()
  /** ids retired since the last `takeRetired()` */
  #retired: number[] = []

  constructor (frameBytes: number, readonly max = MAX_SHARED_FRAMES) {
    this.frameBytes = frameBytes
  }

  /** A buffer of `frameBytes` in shared memory, or undefined when `max` are out already. */
  take (): Buffer | undefined {
    const free = this.#free.pop()
    if (free !== undefined) return free
    if (this.#live >= this.max) return undefined
    const memory = new SharedArrayBuffer(this.frameBytes)
    const id = this.#next++
    this.#ids.set(memory, id)
    this.#memory.set(id, memory)
    this.#live++
    return Buffer.from(memory)
  }

  /** A buffer from `take` whose frame is done: it takes the next frame. */
  give (buffer: Buffer): void {
    this.#free.push(buffer)
  }

  /** A buffer from `take` that may still be seen through views nobody declared: never reused, forgotten here and by the worker. */
  retire (buffer: Buffer): void {
    const id = this.#ids.get(buffer.buffer)
    if (id === undefined) return
    // no longer one of these: a chunk still viewed in it is copied into the hasher's ring, not sent by an id the worker drops
    this.#ids.delete(buffer.buffer)
    this.#memory.delete(id)
    this.#live--
    this.#retired.push(id)
  }

  /** The id of the shared buffer behind `memory`, undefined when it is not one of these. */
  idOf (memory: ArrayBufferLike): number | undefined {
    return this.#ids.get(memory)
  }

  memoryOf (id: number): SharedArrayBuffer | undefined {
    return this.#memory.get(id)
  }

  /** Ids retired since the last call (the worker drops them). */
  takeRetired (): number[] {
    const retired = this.#retired
    this.#retired = []
    return retired
  }

  get live (): number {
    return this.#live
  }
}

/** The direct path's frames (LARGE_FRAME each, tcp-transport.ts), shared by every connection of the process. */
export const directFrames = new SharedFrames(LARGE_FRAME)
