import type { FileHandle } from 'node:fs/promises'
import { AlignedBuffers, DIRECT_ALIGNMENT } from '../objects/aligned-buffers.js'
import type { BufferPool } from '../objects/buffer-pool.js'
import { ENTRY_HEADER, decodeEntryHeader, type EntryHeader } from './pack-entry.js'
import { LendingPool } from './lending-pool.js'
import type { CachedRead } from './cached-read.js'

/**
 * why: serving or checking out a file reads its chunks in pack order (ingest and fetch append
 * them so); one read(2) of this many bytes answers ~16 of them, where reading each on its own
 * cost a thread-pool round trip apiece (~16 000 per GiB) on a machine whose cores the data
 * channel already keeps busy
 */
export const READ_AHEAD_BYTES = 1024 * 1024
/** why: a chunk is at most 256 KiB (zstd may add a little); an entry starting this far past a window still counts as the run going on */
const MAX_ENTRY_BYTES = 512 * 1024
/** window buffers kept for reuse, shared by every pack of the process: a run has two windows in use and one or two lent out */
const MAX_SPARE_WINDOWS = 6
/** why: a long-running `gas serve` opens many packs; a window nobody read for this long gives its buffer back */
const IDLE_WINDOW_MS = 2000
const spare: Buffer[] = []
/** windows read with O_DIRECT: a window starts at any entry, its read on the block boundary before it */
const directWindows = new AlignedBuffers(READ_AHEAD_BYTES + DIRECT_ALIGNMENT)

function recycle (w: Window): void {
  if (w.backing !== undefined) directWindows.give(w.backing)
  else if (spare.length < MAX_SPARE_WINDOWS) spare.push(w.buffer)
}

/** The pack opened again with O_DIRECT (read-only), or undefined where that cannot be. */
export type DirectOpener = () => Promise<FileHandle | undefined>

interface Window {
  start: number
  buffer: Buffer
  /** bytes the read returned; set once `done` resolves */
  got: number
  done: Promise<void>
  /** how the read ended, once it did (entries of a window read already need no await) */
  ok: boolean | undefined
  /** the read in flight, readers waiting on or copying from this window, views lent; its buffer is reused only at 0 */
  users: number
  /** what a view lent out of this window runs when given back (one closure per window, not per view) */
  giveBack: () => void
  /** set once the buffer went back to `spare` (guards against giving it twice) */
  recycled?: boolean
  /** the aligned buffer `buffer` is a view of, for a window read with O_DIRECT */
  backing?: Buffer
}

/**
 * Sequential read-ahead for one open pack, as a kernel does for a file: an entry that starts where
 * the last one read ended (or just past the current window) starts a window of READ_AHEAD_BYTES,
 * and the entries inside it are copied out of it (or lent, see LendingPool). Anything else returns
 * undefined and is read on its own, so random access costs nothing extra. Copies go into `pool`
 * buffers when given.
 *
 * A run's windows tile the pack, and the one after the current one is read before it is asked
 * for. why: a serving peer's loop waited on the read of each next window (~0.5 ms, 300+ times in
 * a 512 MiB fetch, while the socket ran dry); and an entry crossing a window's end is put together
 * from the two windows instead of a read(2) of its tail per window.
 */
export class ReadAhead {
  #current: Window | undefined
  /** the window after #current, read ahead of need */
  #next: Window | undefined
  /** the current window when the idle timer last looked */
  #seen: Window | undefined
  #idleTimer = false
  #lastEnd = -1
  /** the entry asked for last: readers in parallel (a serving peer's prefetch) ask before the ones before them are read, so no end is known yet */
  #lastAsked = -1

  #direct: Promise<FileHandle | undefined> | undefined
  /**
   * The run's windows are read with O_DIRECT without asking the page cache first. why: a read with
   * RWF_NOWAIT that misses still starts the kernel's read-ahead (up to read_ahead_kb, 8 MiB here)
   * into the page cache, which is the cost the direct read avoids; a run found cold stays so.
   */
  #cold = false

  /**
   * `cachedRead`: windows the page cache holds are read at once, without the thread pool
   * (cached-read.ts). `openDirect`: a window the page cache holds none of is read with O_DIRECT.
   * why: a pack just added or received was written past the page cache (pack-writer.ts); read back
   * through it, a serving peer spent ~1 CPU s per GiB filling the cache with pages it reads once
   * (1 GiB over TCP: serve 2.5 CPU s with the pack cached, 3.5 without).
   */
  constructor (private readonly handle: FileHandle, private readonly cachedRead?: CachedRead, private readonly openDirect?: DirectOpener) {}

  /** Closes the O_DIRECT handle, if one was opened (the pack's own handle is its owner's). */
  async close (): Promise<void> {
    const direct = this.#direct
    this.#direct = undefined
    await (await direct?.catch(() => undefined))?.close().catch(() => {})
  }

  /** Records that an entry ending at `end` was read directly. */
  passed (end: number): void {
    this.#lastEnd = Math.max(this.#lastEnd, end)
  }

  /**
   * The entry at `offset` lent out of a window already read, without waiting: undefined when it is
   * not in one (the caller then asks entry()). why: a serving peer asked ~16 000 entries per GiB,
   * each a chain of four promises and a turn of the event loop, though nearly all of them were
   * in memory already.
   */
  entryNow (offset: number, where: string, pool: LendingPool): { header: EntryHeader, bytes: Uint8Array } | undefined {
    const w = this.#runWindowAt(offset)
    if (w === undefined || w.ok !== true) return undefined
    const at = offset - w.start
    if (at + ENTRY_HEADER > w.got) return undefined
    const header = decodeEntryHeader(w.buffer.subarray(at, at + ENTRY_HEADER), where)
    const end = at + ENTRY_HEADER + header.storedLength
    this.#lastAsked = offset
    if (end > w.got) return this.#acrossNow(w, at, header, pool)
    w.users++
    const view = pool.lend(w.buffer.subarray(at + ENTRY_HEADER, end), w.giveBack)
    this.passed(w.start + end)
    return { header, bytes: view }
  }

  /** The entry at `offset` from a read-ahead window, or undefined when the caller must read it directly. */
  async entry (offset: number, where: string, pool?: BufferPool): Promise<{ header: EntryHeader, bytes: Uint8Array } | undefined> {
    let w = this.#runWindowAt(offset)
    if (w === undefined) {
      const asked = this.#lastAsked
      this.#lastAsked = offset
      const current = this.#current
      const runGoesOn = offset === this.#lastEnd || (offset > asked && offset <= asked + MAX_ENTRY_BYTES) || (current !== undefined && offset >= current.start && offset < current.start + READ_AHEAD_BYTES + MAX_ENTRY_BYTES)
      if (!runGoesOn) return undefined
      w = this.#start(offset)
    }
    this.#lastAsked = offset
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
        const view = pool.lend(w.buffer.subarray(at + ENTRY_HEADER, end), w.giveBack)
        this.passed(w.start + end)
        return { header, bytes: view }
      }
      const bytes = pool?.take(header.storedLength) ?? Buffer.allocUnsafe(header.storedLength)
      bytes.set(w.buffer.subarray(at + ENTRY_HEADER, Math.min(end, w.got)))
      if (end > w.got && !(await this.#rest(bytes, w.got - at - ENTRY_HEADER, w.start + w.got))) {
        pool?.give(bytes)
        return undefined
      }
      this.passed(w.start + end)
      return { header, bytes }
    } finally {
      this.#drop(w)
    }
  }

  /** entryNow() of an entry running past the end of `w` into the window after it, when that one is read: a copy of both parts. */
  #acrossNow (w: Window, at: number, header: EntryHeader, pool: LendingPool): { header: EntryHeader, bytes: Uint8Array } | undefined {
    const position = w.start + w.got
    const after = w.got === READ_AHEAD_BYTES ? [this.#current, this.#next].find((x) => x?.start === position) : undefined
    const head = w.got - at - ENTRY_HEADER
    const tail = header.storedLength - head
    if (after === undefined || after.ok !== true || after.got < tail) return undefined
    const bytes = pool.take(header.storedLength)
    bytes.set(w.buffer.subarray(at + ENTRY_HEADER, w.got))
    bytes.set(after.buffer.subarray(0, tail), head)
    this.passed(position + tail)
    return { header, bytes }
  }

  /**
   * Puts the bytes of an entry past its window into `bytes` from `from`: out of the window read
   * ahead when it starts at `position`, else with a read(2) of them. False when they are not all
   * there (the direct read then reports what is wrong).
   */
  async #rest (bytes: Uint8Array, from: number, position: number): Promise<boolean> {
    const want = bytes.byteLength - from
    const next = [this.#current, this.#next].find((w) => w?.start === position)
    if (next !== undefined) {
      next.users++
      try {
        if (next.ok === undefined) await next.done
        if (next.ok === true && next.got >= want) {
          bytes.set(next.buffer.subarray(0, want), from)
          return true
        }
      } finally {
        this.#drop(next)
      }
    }
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
    if (w.got < READ_AHEAD_BYTES && this.#current === w) this.#forget()
    return undefined
  }

  /**
   * The run's window holding `offset`: the current one, or one or two windows on (the run moves
   * on to them); undefined when it is in none of those. why two: a serving peer asks 16 entries
   * ahead, which may reach past the window read ahead; starting a run over there instead read
   * the windows in between again, in other places.
   */
  #runWindowAt (offset: number): Window | undefined {
    const current = this.#current
    if (current !== undefined && offset >= current.start && offset < current.start + READ_AHEAD_BYTES) return current
    let next = this.#next
    if (next === undefined || offset < next.start || offset >= next.start + 2 * READ_AHEAD_BYTES) return undefined
    if (offset >= next.start + READ_AHEAD_BYTES) {
      // a window cut short by the pack's end has nothing after it (yet)
      if (next.ok === true && next.got < READ_AHEAD_BYTES) return undefined
      this.#advance(next)
      next = this.#next
      if (next === undefined) return undefined
    }
    return this.#advance(next)
  }

  /** The run reached the window read ahead: it becomes current, and the one after it is read. */
  #advance (next: Window): Window {
    const old = this.#current
    this.#current = next
    this.#next = undefined
    if (old !== undefined) this.#dropIfUnused(old)
    // a window cut short by the pack's end has nothing after it (yet)
    if (next.ok !== true || next.got === READ_AHEAD_BYTES) this.#next = this.#read(next.start + READ_AHEAD_BYTES)
    return next
  }

  /** A new run at `offset`: its window and the one after it. */
  #start (offset: number): Window {
    this.#forget()
    // a new run may be somewhere the page cache holds
    this.#cold = false
    const w = this.#read(offset)
    this.#current = w
    this.#next = this.#read(offset + READ_AHEAD_BYTES)
    this.#releaseWhenIdle(w)
    return w
  }

  /**
   * A window of READ_AHEAD_BYTES from `start`: read at once as far as the page cache holds it, the
   * rest (if any) through the thread pool. A read in flight counts as a user, so the buffer is not
   * reused under it.
   */
  #read (start: number): Window {
    const buffer = spare.pop() ?? Buffer.allocUnsafe(READ_AHEAD_BYTES)
    let cached = { bytes: 0, whole: false }
    try {
      if (!this.#cold) cached = this.cachedRead?.(this.handle.fd, buffer, start) ?? cached
    } catch {
      // whatever the call could not do, the pool's read does (and reports)
    }
    const w: Window = { start, buffer, got: cached.bytes, users: 0, done: Promise.resolve(), ok: true, giveBack: () => this.#drop(w) }
    if (cached.whole) return w
    if (cached.bytes === 0 && this.openDirect !== undefined) {
      const backing = directWindows.take()
      if (backing !== undefined) {
        recycle(w)
        this.#cold = true
        return this.#readDirect(w, backing)
      }
    }
    const from = cached.bytes
    w.users = 1
    w.ok = undefined
    w.done = this.handle.read(buffer, from, READ_AHEAD_BYTES - from, start + from).then(({ bytesRead }) => { w.got = from + bytesRead; w.ok = true }, () => { w.ok = false }).finally(() => this.#drop(w))
    return w
  }

  /** #read of a window none of which is cached: with O_DIRECT into `backing` from the block boundary at or before its start (through the usual handle where O_DIRECT is refused). */
  #readDirect (w: Window, backing: Buffer): Window {
    const skip = w.start % DIRECT_ALIGNMENT
    w.backing = backing
    w.buffer = backing.subarray(skip, skip + READ_AHEAD_BYTES)
    w.got = 0
    w.users = 1
    w.ok = undefined
    this.#direct ??= this.openDirect!().catch(() => undefined)
    w.done = this.#direct.then(async (direct) => direct === undefined
      ? await this.handle.read(w.buffer, 0, READ_AHEAD_BYTES, w.start)
      : await direct.read(backing, 0, backing.length, w.start - skip).then(({ bytesRead }) => ({ bytesRead: Math.max(0, bytesRead - skip) }))
    ).then(({ bytesRead }) => { w.got = Math.min(bytesRead, READ_AHEAD_BYTES); w.ok = true }, () => { w.ok = false }).finally(() => this.#drop(w))
    return w
  }

  /** Stops using the current windows; each gives its buffer back once its last reader (or read) is done. */
  #forget (): void {
    const { current, next } = { current: this.#current, next: this.#next }
    this.#current = undefined
    this.#next = undefined
    if (current !== undefined) this.#dropIfUnused(current)
    if (next !== undefined) this.#dropIfUnused(next)
  }

  /** A user of `w` is done: its buffer goes back once nobody uses it and it is no longer one of the run's windows. */
  #drop (w: Window): void {
    w.users--
    this.#dropIfUnused(w)
  }

  #dropIfUnused (w: Window): void {
    if (w.users === 0 && w !== this.#current && w !== this.#next && !w.recycled) {
      w.recycled = true
      recycle(w)
    }
  }

  /** Gives the buffers of a run nobody read for IDLE_WINDOW_MS back (one timer per pack, following the run from window to window). */
  #releaseWhenIdle (w: Window): void {
    this.#seen = w
    if (this.#idleTimer) return
    this.#idleTimer = true
    const check = (): void => {
      const current = this.#current
      if (current === undefined) {
        this.#idleTimer = false
        return
      }
      // the run moved on to another window, or is being read: look again later
      if (current !== this.#seen || current.users > 0) {
        this.#seen = current
        setTimeout(check, IDLE_WINDOW_MS).unref()
        return
      }
      this.#idleTimer = false
      this.#forget()
    }
    setTimeout(check, IDLE_WINDOW_MS).unref()
  }
}
