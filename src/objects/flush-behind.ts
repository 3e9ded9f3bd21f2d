import type { FileHandle } from 'node:fs/promises'

/**
 * why 32 MiB: each flush then takes ~20–30 ms on this machine's virtual disk, short enough that
 * the writes queued behind it barely wait; 1 GiB written with O_DIRECT while a producer kept
 * ~500 MB/s of work coming took 2.29 s with one fdatasync at the end (0.47 s of it the flush)
 * and 1.83 s flushed behind every 32 MiB (final flush 18 ms; 64 MiB: 2.0 s, 256 MiB: 2.26 s)
 */
export const FLUSH_BEHIND_BYTES = 32 * 1024 * 1024

/**
 * Makes a file written front to back durable as it goes: once FLUSH_BEHIND_BYTES more are in the
 * file, an fdatasync runs in the background (one at a time), so the owner's own fdatasync at the
 * end finds little left to flush.
 *
 * why: O_DIRECT writes skip the page cache but land in the disk's write cache (a virtual disk's
 * host cache here); the fdatasync that makes them durable then flushes everything written since
 * the last one. For a pack of 1 GiB that was 0.45–0.5 s at the end of `gas add` and of a sync's
 * fetch, with both cores idle. Flushed behind, that time overlaps the chunking or the receiving.
 *
 * A failed flush is kept and thrown by `flushed`: on Linux a failed fdatasync may clear the error,
 * so the owner's next one could succeed over lost data (the owner awaits `flushed` before its own).
 */
export class FlushBehind {
  #flushedTo = 0
  #running: Promise<void> | undefined
  #failure: unknown
  #settled = false

  constructor (private readonly handle: FileHandle, private readonly windowBytes = FLUSH_BEHIND_BYTES) {}

  /** Every byte before `end` has been written to the file. */
  written (end: number): void {
    if (this.#settled || this.#running !== undefined || this.#failure !== undefined || end - this.#flushedTo < this.windowBytes) return
    this.#running = this.handle.datasync().then(
      () => { this.#flushedTo = end },
      (err: unknown) => { this.#failure = err }
    ).finally(() => { this.#running = undefined })
  }

  /** Waits for the flush running, if any. Throws what any flush failed with (again at every call: what it flushed may be lost). */
  async flushed (): Promise<void> {
    await this.#running
    if (this.#failure !== undefined) throw this.#failure
  }

  /** Waits for the flush running, if any, and starts no more (the file is about to be closed); a failure is the owner's to find through `flushed`. */
  async settle (): Promise<void> {
    this.#settled = true
    await this.#running
  }
}
