import { loadPageCacheCalls, type PageCacheCalls } from './page-cache-native.js'

/**
 * why 8 MiB: large enough that the calls are few (~130 per GiB), small enough that a file written
 * this way holds ~16–24 MiB of the page cache at any time, pages the kernel hands straight back
 * to the next writes
 */
export const DROP_WINDOW_BYTES = 8 * 1024 * 1024

/**
 * Hands the pages of a file written front to back back to the kernel as it goes: each window of
 * DROP_WINDOW_BYTES written gets its writeback started, and the window before it, whose writeback
 * has had a window's time to finish, is waited for and dropped from the page cache.
 *
 * why: a sync writes every byte it receives twice (the pack, and the file taking shape beside it),
 * and a write that lands in pages the kernel must find anew is what costs: on the machines these
 * benches run on (virtual machines that give freed guest memory back to their host) write(2) of
 * 1 GiB took 1.9–2.3 s of system time into fresh memory against 0.17 s into recycled pages
 * (same 1 MiB writes, same file system), the copy into the page cache stalling on every new page.
 * Written back and dropped every few MiB, a file keeps reusing the same few MiB of pages; the
 * writeback it pulls forward (the kernel's flusher would do it within 30 s anyway, and the pack's
 * checkpoints fdatasync it) cost ~0.06 s per GiB. What is dropped is read from disk if read again.
 *
 * Best effort: a call that fails stops the dropping (the pages stay cached, as without it); errors
 * that matter (a failing disk) surface in the writes and fdatasync of the file's owner. The owner
 * awaits `settle()` before closing the file, so no call runs on a descriptor closed under it.
 */
export class DropBehind {
  readonly #fd: number
  readonly #calls: PageCacheCalls | undefined
  readonly #windowBytes: number
  /** writeback started up to here */
  #started: number
  /** the window whose writeback was started last, waited for and dropped at the next window */
  #previous: { offset: number, length: number } | undefined
  #chain: Promise<void> = Promise.resolve()
  /** a call failed: nothing more is asked */
  #stopped = false
  /** settle() was called: windows written from now on are left alone */
  #settled = false

  constructor (fd: number, opts: { calls?: PageCacheCalls | undefined, windowBytes?: number, from?: number } = {}) {
    this.#fd = fd
    this.#calls = 'calls' in opts ? opts.calls : loadPageCacheCalls()
    this.#windowBytes = opts.windowBytes ?? DROP_WINDOW_BYTES
    this.#started = opts.from ?? 0
  }

  /** whether pages are being dropped (the calls exist here and none failed) */
  get active (): boolean {
    return this.#calls !== undefined && !this.#stopped
  }

  /** The file now holds every byte before `end` (written, in order from the front). */
  written (end: number): void {
    const calls = this.#calls
    if (calls === undefined || this.#stopped || this.#settled || end - this.#started < this.#windowBytes) return
    const window = { offset: this.#started, length: end - this.#started }
    const previous = this.#previous
    this.#started = end
    this.#previous = window
    const fd = this.#fd
    this.#chain = this.#chain.then(async () => {
      if (this.#stopped) return
      await calls.startWriteBack(fd, window.offset, window.length)
      if (previous === undefined) return
      await calls.writeBack(fd, previous.offset, previous.length)
      await calls.dropCached(fd, previous.offset, previous.length)
    }).catch(() => { this.#stopped = true })
  }

  /** Resolves once the calls asked for so far are done and none runs on the file (then it may be closed); later `written` calls do nothing. */
  async settle (): Promise<void> {
    this.#settled = true
    await this.#chain
  }
}
