import { Worker } from 'node:worker_threads'

/**
 * The worker: one SHA-256 per stream key, fed whole ArrayBuffers (transferred, not copied) and
 * handing each back once hashed. Inline CommonJS so it runs the same from dist/ and under the test runner.
 */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads')
const { createHash } = require('node:crypto')
const hashes = new Map()
parentPort.on('message', (m) => {
  let hash = hashes.get(m.key)
  if (hash === undefined) hashes.set(m.key, hash = createHash('sha256'))
  if (m.bytes !== undefined) {
    hash.update(new Uint8Array(m.bytes, 0, m.length))
    parentPort.postMessage({ key: m.key, bytes: m.bytes }, [m.bytes])
    return
  }
  hashes.delete(m.key)
  parentPort.postMessage({ key: m.key, digest: m.digest ? hash.digest('hex') : null })
})
`

interface Reply { key: number, bytes?: ArrayBuffer, digest?: string | null }

/** The process's hashing thread, started with the first stream and ended with the last one. */
let shared: { worker: Worker, streams: Map<number, BackgroundSha256> } | undefined
let nextKey = 0

function hashThread (): NonNullable<typeof shared> {
  if (shared !== undefined) return shared
  const worker = new Worker(WORKER_SOURCE, { eval: true })
  // why: a stream left open (a sync that failed) must not keep the process alive
  worker.unref()
  const thread = { worker, streams: new Map<number, BackgroundSha256>() }
  worker.on('message', (reply: Reply) => thread.streams.get(reply.key)?.reply(reply))
  const fail = (err: Error): void => {
    if (shared === thread) shared = undefined
    for (const stream of [...thread.streams.values()]) stream.fail(err)
  }
  worker.on('error', fail)
  worker.on('exit', () => fail(new Error('the hashing thread exited')))
  shared = thread
  return thread
}

/**
 * A whole-file SHA-256 computed on a thread of its own, so the main thread of a sync (TLS, the
 * chunks' own checks, the pack) does not also make the second pass over every byte of a file
 * written while it arrives (~0.5 CPU s per GiB, a sixth of that thread's work in a profile).
 * `update` hands the buffer over (its ArrayBuffer is transferred, so it must be a whole one of
 * its own, as Buffer.allocUnsafeSlow makes) and `onReturned` gets it back, hashed, for reuse.
 */
export class BackgroundSha256 {
  readonly #key = nextKey++
  readonly #onReturned: (buffer: Buffer) => void
  readonly #onFailed: (err: Error) => void
  #thread: NonNullable<typeof shared> | undefined
  #digest: { resolve: (hex: string) => void, reject: (err: Error) => void } | undefined
  #error: Error | undefined
  #closed = false

  /** `onFailed`: the thread died; buffers it held do not come back and the digest rejects */
  constructor (onReturned: (buffer: Buffer) => void, onFailed: (err: Error) => void = () => {}) {
    this.#onReturned = onReturned
    this.#onFailed = onFailed
  }

  /** Adds the first `length` bytes of `buffer` (which must span its whole ArrayBuffer); the bytes are the thread's until returned. */
  update (buffer: Buffer, length: number): void {
    // a stream that ended hashes nothing more: the buffer is the caller's again at once
    if (this.#closed || this.#error !== undefined) return this.#onReturned(buffer)
    if (buffer.byteOffset !== 0 || buffer.byteLength !== buffer.buffer.byteLength) throw new Error('BackgroundSha256 needs a buffer with an ArrayBuffer of its own')
    const thread = this.#open()
    const bytes = buffer.buffer as ArrayBuffer
    thread.worker.postMessage({ key: this.#key, bytes, length }, [bytes])
  }

  /** The hex SHA-256 of everything added; ends the stream. Rejects when the thread failed. */
  async digest (): Promise<string> {
    if (this.#error !== undefined) throw this.#error
    if (this.#closed) throw new Error('BackgroundSha256 closed')
    const thread = this.#open()
    const done = new Promise<string>((resolve, reject) => { this.#digest = { resolve, reject } })
    thread.worker.postMessage({ key: this.#key, digest: true })
    return await done
  }

  /** Abandons the stream (the file failed or was discarded). */
  close (): void {
    if (this.#closed) return
    if (this.#thread !== undefined && this.#digest === undefined && this.#error === undefined) this.#thread.worker.postMessage({ key: this.#key, digest: false })
    this.#end()
  }

  /** @internal a message from the thread for this stream */
  reply (reply: Reply): void {
    if (reply.bytes !== undefined) {
      this.#onReturned(Buffer.from(reply.bytes))
      return
    }
    const digest = this.#digest
    this.#end()
    if (digest !== undefined) {
      if (typeof reply.digest === 'string') digest.resolve(reply.digest)
      else digest.reject(new Error('no digest'))
    }
  }

  /** @internal the thread failed */
  fail (err: Error): void {
    this.#error ??= err
    const digest = this.#digest
    const open = !this.#closed
    this.#end()
    digest?.reject(err)
    if (open) this.#onFailed(err)
  }

  #open (): NonNullable<typeof shared> {
    this.#thread ??= hashThread()
    this.#thread.streams.set(this.#key, this)
    return this.#thread
  }

  #end (): void {
    this.#closed = true
    this.#digest = undefined
    const thread = this.#thread
    if (thread === undefined) return
    thread.streams.delete(this.#key)
    // the last stream ends the thread; the next sync starts one again (~30 ms)
    if (thread.streams.size === 0 && shared === thread) {
      shared = undefined
      void thread.worker.terminate()
    }
  }
}
