import type { Socket } from 'node:net'

/**
 * Hands buffers to a socket one write at a time: the next one goes once the socket called the
 * last one back. why: a write given to a TLS socket while its last one is still pending waits in
 * the stream's buffer, and the waiting ones then leave together through writev, which node's TLS
 * layer joins into one fresh buffer before encrypting: a copy of every such byte, into memory
 * touched for the first time (expensive on this VM). One at a time, each buffer is encrypted
 * where it is.
 */
export class SocketWriter {
  readonly #socket: Socket
  readonly #afterWrite: () => void
  readonly #queue: Array<{ bytes: Buffer, written?: () => void }> = []
  #queuedBytes = 0
  /** bytes handed to the socket and not yet called back */
  #inSocket = 0

  /** `afterWrite` runs each time a write is called back (the owner releases senders, writes more). */
  constructor (socket: Socket, afterWrite: () => void) {
    this.#socket = socket
    this.#afterWrite = afterWrite
  }

  /** bytes given to write() that the socket has not called back yet */
  get pendingBytes (): number { return this.#inSocket + this.#queuedBytes }

  /** Writes `bytes` after everything written before; `written` runs once the socket is done with them. */
  write (bytes: Buffer, written?: () => void): void {
    if (this.#inSocket > 0 || this.#queue.length > 0) {
      this.#queue.push({ bytes, written })
      this.#queuedBytes += bytes.length
      return
    }
    this.#hand(bytes, written)
  }

  /** Hands everything queued to the socket at once (the connection is ending: order matters, copies do not). */
  writeAll (): void {
    for (const { bytes, written } of this.#queue.splice(0)) this.#hand(bytes, written)
    this.#queuedBytes = 0
  }

  /** Forgets what is queued (the connection is gone). */
  clear (): void {
    this.#queue.length = 0
    this.#queuedBytes = 0
  }

  #hand (bytes: Buffer, written?: () => void): void {
    this.#inSocket += bytes.length
    this.#socket.write(bytes, () => {
      this.#inSocket -= bytes.length
      written?.()
      if (this.#socket.destroyed) this.clear()
      const next = this.#inSocket === 0 ? this.#queue.shift() : undefined
      if (next !== undefined) {
        this.#queuedBytes -= next.bytes.length
        this.#hand(next.bytes, next.written)
      }
      this.#afterWrite()
    })
  }
}
