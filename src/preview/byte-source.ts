import { readSync } from 'node:fs'
import { open, type FileHandle } from 'node:fs/promises'
import { isMainThread } from 'node:worker_threads'
import { GasError, fromFsError } from '../errors.js'
import { READ_BLOCK_BYTES } from './limits.js'

/**
 * Full-size windows of closed sources, reused by the next: a preview worker opens one source per
 * asset, and a fresh 1 MiB buffer each time is a mapping of new memory, 256 page faults and an
 * unmapping (~0.5 ms of kernel time per asset). Nothing a decoder returns is a view of the window
 * (results are copies, numbers or strings), so after close its bytes are free to overwrite.
 */
const spareWindows: Uint8Array[] = []
const MAX_SPARE_WINDOWS = 2
const EMPTY = new Uint8Array(0)

/**
 * In a preview worker, reads are made in place (readSync) rather than queued on libuv's
 * thread pool: that pool has 4 threads for the whole process, which `gas add` keeps busy with
 * its chunking reads, pack writes and sharp's encodes, so each 1 MiB read of a preview waited its
 * turn behind them while the worker had nothing else to do. A worker blocks only itself (one
 * preview at a time; its watchdog lives in the main thread). Elsewhere (API callers, tests) the
 * reads stay asynchronous, so no event loop is held.
 */
const READ_IN_PLACE = !isMainThread

/**
 * Sequential reader over a file with a bounded window, so decoders stream large assets instead of
 * reading them whole. Decoders call `need(n)` then read synchronously from `bytes` at `pos`.
 */
export class ByteSource {
  readonly path: string
  readonly size: number
  private readonly fh: FileHandle
  /** current window; valid bytes are bytes[pos .. end) */
  bytes: Uint8Array
  pos = 0
  end = 0
  /** file offset of bytes[0] */
  private base = 0

  private constructor (path: string, fh: FileHandle, size: number) {
    this.path = path; this.fh = fh; this.size = size
    const window = Math.min(READ_BLOCK_BYTES, Math.max(size, 1))
    this.bytes = (window === READ_BLOCK_BYTES ? spareWindows.pop() : undefined) ?? new Uint8Array(window)
  }

  static async open (path: string): Promise<ByteSource> {
    try {
      const fh = await open(path, 'r')
      const st = await fh.stat()
      if (!st.isFile()) { await fh.close(); throw GasError.badArgument(`${path}: not a regular file`, { path }) }
      return new ByteSource(path, fh, st.size)
    } catch (err) { throw fromFsError(err, path) }
  }

  /** Absolute file offset of the read position. */
  get offset (): number { return this.base + this.pos }
  get available (): number { return this.end - this.pos }
  get remaining (): number { return this.size - this.offset }

  /** Makes at least n bytes available (n ≤ window size grows the window); throws when the file ends first. */
  async need (n: number, what = 'data'): Promise<void> {
    if (this.end - this.pos >= n) return
    if (n > this.remaining) throw GasError.malformedAsset(this.path, `truncated: ${what} needs ${n} bytes at offset ${this.offset} but the file ends after ${this.remaining}`)
    if (n > this.bytes.length) {
      const grown = new Uint8Array(Math.max(n, this.bytes.length * 2))
      grown.set(this.bytes.subarray(this.pos, this.end)); this.bytes = grown
    } else {
      this.bytes.copyWithin(0, this.pos, this.end)
    }
    this.base += this.pos; this.end -= this.pos; this.pos = 0
    while (this.end < n) {
      const want = Math.min(this.bytes.length - this.end, this.size - (this.base + this.end))
      const { bytesRead } = await this.read(this.end, want, this.base + this.end)
      if (bytesRead === 0) throw GasError.malformedAsset(this.path, `truncated: file shrank while reading at offset ${this.base + this.end}`)
      this.end += bytesRead
    }
  }

  /** Copies n bytes out (for headers and small records). */
  async take (n: number, what?: string): Promise<Uint8Array> {
    await this.need(n, what)
    const out = this.bytes.slice(this.pos, this.pos + n)
    this.pos += n
    return out
  }

  /** Moves to an absolute offset; seeking past the end fails as truncation. */
  seek (offset: number, what = 'seek'): void {
    if (offset > this.size || offset < 0) throw GasError.malformedAsset(this.path, `truncated: ${what} points to offset ${offset} but the file is ${this.size} bytes`)
    if (offset >= this.base && offset <= this.base + this.end) { this.pos = offset - this.base; return }
    this.base = offset; this.pos = 0; this.end = 0
  }

  skip (n: number, what?: string): void { this.seek(this.offset + n, what) }

  /** Random-access read that leaves the window alone (zip directory, DDS mips). */
  async readAt (offset: number, length: number, what = 'data'): Promise<Uint8Array> {
    if (offset < 0 || length < 0 || offset + length > this.size) throw GasError.malformedAsset(this.path, `truncated: ${what} needs bytes ${offset}..${offset + length} but the file is ${this.size} bytes`)
    const out = new Uint8Array(length)
    let done = 0
    while (done < length) {
      const { bytesRead } = await this.readInto(out, done, length - done, offset + done)
      if (bytesRead === 0) throw GasError.malformedAsset(this.path, `truncated: file shrank while reading at offset ${offset + done}`)
      done += bytesRead
    }
    return out
  }

  private async read (at: number, length: number, position: number): Promise<{ bytesRead: number }> {
    return await this.readInto(this.bytes, at, length, position)
  }

  private async readInto (into: Uint8Array, at: number, length: number, position: number): Promise<{ bytesRead: number }> {
    try {
      if (READ_IN_PLACE) return { bytesRead: readSync(this.fh.fd, into, at, length, position) }
      return await this.fh.read(into, at, length, position)
    } catch (err) { throw fromFsError(err, this.path) }
  }

  async close (): Promise<void> {
    if (this.bytes.length === READ_BLOCK_BYTES && spareWindows.length < MAX_SPARE_WINDOWS && !spareWindows.includes(this.bytes)) spareWindows.push(this.bytes)
    this.bytes = EMPTY; this.pos = 0; this.end = 0
    await this.fh.close().catch(() => {})
  }
}

/** Opens, runs fn, always closes. */
export async function withSource<T> (path: string, fn: (src: ByteSource) => Promise<T>): Promise<T> {
  const src = await ByteSource.open(path)
  try { return await fn(src) } finally { await src.close() }
}
