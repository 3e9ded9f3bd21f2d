import type { FileHandle } from 'node:fs/promises'
import type { BufferPool } from '../objects/buffer-pool.js'
import { ENTRY_HEADER, decodeEntryHeader, type EntryHeader } from './pack-entry.js'
import { LendingPool } from './lending-pool.js'

/**
 * why: serving or checking out a file reads its chunks in pack order (ingest and fetch append
 * them so); one read(2) of this many bytes answers ~16 of them, where reading each on its own
 * cost a thread-pool round trip apiece (~16 000 per GiB) on a machine whose cores the data
 * channel already keeps busy
 */
export const READ_AHEAD_BYTES = 1024 * 1024
/** why: a chunk is at most 256 KiB (zstd may add a little); an entry starting this far past a window still counts as the run going on */
const MAX_ENTRY_BYTES = 512 * 1024
/** window buffers kept for reuse, shared by every pack of the process */
const MAX_SPARE_WINDOWS = 4
/** why: a long-running `gas serve` opens many packs; a window nobody read for this long gives its buffer back */
const IDLE_WINDOW_MS = 2000
const spare: Buffer[] = []

function recycle (buffer: Buffer): void {
  if (spare.length < MAX_SPARE_WINDOWS) spare.push(buffer)
}

interface Window {
  start: number
  buffer: Buffer
  /** bytes the read returned; set once `done` resolves */
  got: number
  done: Promise<void>
  /** how the read ended, once it did (entries of a window read already need no await) */
  ok: boolean | undefined
  /** readers waiting on or copying from this window; its buffer is reused only at 0 */
  users: number
}

/**
 * Sequential read-ahead for one open pack, as a kernel does for a file: an entry that starts where
 * the last one read ended (or just past the current window) starts a window of READ_AHEAD_BYTES,
 * and the entries inside it are copied out of it. Anything else returns undefined and is read on
 * its own, so random access costs nothing extra. Copies go into `pool` buffers when given.
 */
export class ReadAhead {
  #current: Window | undefined
  #lastEnd = -1
  /** the entry asked for last: readers in parallel (a serving peer's prefetch) ask before the ones before them are read, so no end is known yet */
  #lastAsked = -1

  constructor (private readonly handle: FileHandle) {}

  /** Records that an entry ending at `end` was read directly. */
  passed (end: number): void {
    this.#lastEnd = Math.max(this.#lastEnd, end)
  }

  /** The entry at `offset` from a read-ahead window, or undefined when the caller must read it directly. */
  async entry (offset: number, where: string, pool?: BufferPool): Promise<{ header: EntryHeader, bytes: Uint8Array } | undefined> {
    let w = this.#current
    if (w === undefined || offset < w.start || offset >= w.start + READ_AHEAD_BYTES) {
      const asked = this.#lastAsked
      this.#lastAsked = offset
      const runGoesOn = offset === this.#lastEnd || (offset > asked && offset <= asked + MAX_ENTRY_BYTES) || (w !== undefined && offset >= w.start && offset < w.start + READ_AHEAD_BYTES + MAX_ENTRY_BYTES)
      if (!runGoesOn) return undefined
      w = this.#start(offset)
    }
    w.users++
    try {
      // a failed read-ahead is not an error here: the direct read reports what is wrong
      if (w.ok === undefined) await w.done
      if (w.ok !== true) return undefined
      const at = offset - w.start
      if (at + ENTRY_HEADER > w.got) return this.#pastWindow(w)
      const header = decodeEntryHeader(w.buffer.subarray(at, at + ENTRY_HEADER), where)
      const end = at + ENTRY_HEADER + header.storedLength
      if (end > w.got && w.got < READ_AHEAD_BYTES) return this.#pastWindow(w)
      // a borrower that gives its buffers back gets a view of the window, kept from reuse until then
      if (pool instanceof LendingPool && end <= w.got) {
        w.users++
        const view = pool.lend(w.buffer.subarray(at + ENTRY_HEADER, end), () => { if (--w.users === 0 && w !== this.#current) recycle(w.buffer) })
        this.passed(w.start + end)
        return { header, bytes: view }
      }
      const bytes = pool?.take(header.storedLength) ?? Buffer.allocUnsafe(header.storedLength)
      bytes.set(w.buffer.subarray(at + ENTRY_HEADER, Math.min(end, w.got)))
      // why: the entry running past a full window (one per window, and the larger ones) was read
      // again whole, in two reads; now only its tail is: one read(2) fewer per MiB, no byte twice
      if (end > w.got && !(await this.#readTail(bytes, w.got - at - ENTRY_HEADER, w.start + w.got))) {
        pool?.give(bytes)
        return undefined
      }
      this.passed(w.start + end)
      return { header, bytes }
    } finally {
      if (--w.users === 0 && w !== this.#current) recycle(w.buffer)
    }
  }

  /** Reads the bytes of an entry past its window into `bytes` from `from`; false when they are not all there (the direct read then reports what is wrong). */
  async #readTail (bytes: Uint8Array, from: number, position: number): Promise<boolean> {
    const want = bytes.byteLength - from
    try {
      return (await this.handle.read(bytes, from, want, position)).bytesRead === want
    } catch {
      return false
    }
  }

  /**
   * An entry past what the window's read returned is read directly. A window cut short by the end
   * of the pack at the time it was read stops being current: the pack has grown since (another
   * process appended and checkpointed), so the next entry of the run starts a window over the new tail.
   */
  #pastWindow (w: Window): undefined {
    if (w.got < READ_AHEAD_BYTES && this.#current === w) this.#current = undefined
    return undefined
  }

  #start (offset: number): Window {
    const old = this.#current
    // a replaced window nobody reads any more gives its buffer back now; otherwise its last reader does
    if (old !== undefined && old.users === 0) recycle(old.buffer)
    const buffer = spare.pop() ?? Buffer.allocUnsafe(READ_AHEAD_BYTES)
    const w: Window = { start: offset, buffer, got: 0, users: 0, done: Promise.resolve(), ok: undefined }
    w.done = this.handle.read(buffer, 0, READ_AHEAD_BYTES, offset).then(({ bytesRead }) => { w.got = bytesRead; w.ok = true }, () => { w.ok = false })
    this.#current = w
    this.#releaseWhenIdle(w)
    return w
  }

  /** Gives the buffer of a window that stays current with nobody reading it back after IDLE_WINDOW_MS. */
  #releaseWhenIdle (w: Window): void {
    setTimeout(() => {
      if (this.#current !== w) return
      if (w.users > 0) return this.#releaseWhenIdle(w)
      this.#current = undefined
      recycle(w.buffer)
    }, IDLE_WINDOW_MS).unref()
  }
}
