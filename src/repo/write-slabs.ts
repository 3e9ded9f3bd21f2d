/**
 * Reusable buffers that a restore copies decoded chunks into, one per write batch.
 *
 * why: zstd (compression.ts) hands back each decoded chunk in a fresh buffer the native module
 * allocates; held in a write batch until written, a chunk outlives V8's young generation, and the
 * dead ones piled up until a full collection: 40–90 MiB of them, and ~100 MiB of the process's
 * malloc heap, during a 10 GB restore (bench/big-file-rss.ts, `peak at`). Copied into a slab at
 * once (a memcpy is ~1/10 of the decoding), each decoded buffer is garbage as soon as it is made,
 * and the slabs are the same few buffers from the first batch to the last.
 */
export class WriteSlabs {
  readonly #spare: Buffer[] = []
  #current: Buffer | undefined
  #used = 0

  constructor (private readonly slabBytes: number) {}

  /** `bytes` copied into the current slab (a view of it), or undefined when they do not fit: the caller keeps them as they are. */
  copy (bytes: Uint8Array): Uint8Array | undefined {
    this.#current ??= this.#spare.pop() ?? Buffer.allocUnsafeSlow(this.slabBytes)
    if (this.#used + bytes.length > this.#current.length) return undefined
    const view = this.#current.subarray(this.#used, this.#used + bytes.length)
    view.set(bytes)
    this.#used += bytes.length
    return view
  }

  /** Ends the current slab (its batch is handed to a write): returns what gives it back once written. */
  seal (): () => void {
    const slab = this.#current
    this.#current = undefined
    this.#used = 0
    return slab === undefined ? () => {} : () => { this.#spare.push(slab) }
  }
}
