/**
 * Recycles the buffers objects are reassembled in. At 70 MB/s a fresh 64 KiB buffer per object
 * is ~1000 ArrayBuffers a second; V8 counts them as external memory and answers with a full
 * mark-compact every few dozen megabytes, which on a 2-core machine takes the CPU the data
 * channel's own threads need. Buffers come in 64 KiB size classes; larger objects (big file
 * manifests) are allocated as before.
 */
const CLASS_BYTES = 64 * 1024
/** chunks are at most 256 KiB; zstd may add a little, so one more class */
const MAX_CLASSES = 5
/** per class: enough for the objects a few peers have half-sent at a time */
const MAX_FREE_PER_CLASS = 16

export class BufferPool {
  readonly #free: Uint8Array[][] = Array.from({ length: MAX_CLASSES }, () => [])
  /** why: only buffers this pool handed out come back; a store's own buffer given by mistake is ignored */
  readonly #mine = new WeakSet<ArrayBufferLike>()

  /** A buffer of exactly `size` bytes (a view of a pooled one when it fits a class); contents undefined. */
  take (size: number): Uint8Array {
    const cls = Math.ceil(size / CLASS_BYTES) - 1
    if (cls < 0 || cls >= MAX_CLASSES) return new Uint8Array(size)
    let buffer = this.#free[cls].pop()
    if (buffer === undefined) {
      buffer = new Uint8Array(new ArrayBuffer((cls + 1) * CLASS_BYTES))
      this.#mine.add(buffer.buffer)
    }
    return buffer.subarray(0, size)
  }

  /** Hands back a buffer from `take` once nothing reads it any more. */
  give (view: Uint8Array): void {
    const capacity = view.buffer.byteLength
    const cls = capacity / CLASS_BYTES - 1
    if (!this.#mine.has(view.buffer) || !Number.isInteger(cls) || cls < 0 || cls >= MAX_CLASSES) return
    const free = this.#free[cls]
    if (free.length < MAX_FREE_PER_CLASS) free.push(new Uint8Array(view.buffer as ArrayBuffer))
  }
}
