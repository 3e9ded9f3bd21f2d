import type { Socket } from 'node:net'
import { GasError } from '../../errors.js'
import { MAX_FRAME, TransportBase, peerLost } from './transport.js'

/**
 * Frames over a stream socket (TLS over TCP on the direct path): `<length u32 BE><frame>`.
 * - Sends are copied into one output buffer and written in large pieces: TLS then seals full
 *   16 KiB records and the kernel sees few, large writes (one write per 64 KiB frame, header
 *   separate, cost a third of the throughput in a profile).
 * - Backpressure is the socket's: send() resolves at once while less than HIGH_WATER_BYTES wait
 *   in the socket, otherwise on 'drain'.
 * - A frame that spans several reads is gathered once, not re-concatenated per read.
 */

/** why: the largest frame the stream carries; a larger length means the stream is garbage or hostile */
export const MAX_STREAM_FRAME = MAX_FRAME
/** why: the output buffer is written when it holds this much (or at the end of the event-loop turn); 256 KiB = 16 TLS records per write */
export const WRITE_BATCH_BYTES = 256 * 1024
/** why: what may wait in the socket before send() makes the caller wait; ~4 MiB covers a LAN's bandwidth-delay product at 1 GB/s */
export const HIGH_WATER_BYTES = 4 * 1024 * 1024

/** why: control messages (WANT, HAVE) are small; copying them out beats a fresh 256 KiB buffer per write */
const SMALL_WRITE_BYTES = 16 * 1024

/** why: HIGH_WATER_BYTES / WRITE_BATCH_BYTES buffers can be in the socket at once; keeping that many covers a steady transfer */
const MAX_SPARE_BUFFERS = HIGH_WATER_BYTES / WRITE_BATCH_BYTES

export interface StreamTransportOptions {
  /** the largest frame accepted and sent (default MAX_STREAM_FRAME) */
  maxFrame?: number
}

export class StreamTransport extends TransportBase {
  readonly copiesFrames = true
  readonly socket: Socket
  readonly #maxFrame: number
  #out: Buffer = Buffer.allocUnsafe(WRITE_BATCH_BYTES)
  #outLength = 0
  /** output buffers the socket is done with */
  readonly #spare: Buffer[] = []
  #flushScheduled = false
  /** bytes of the frame (header included) being gathered across reads */
  #parts: Buffer[] = []
  #partsLength = 0
  #waiters: Array<{ resolve: () => void, reject: (err: Error) => void }> = []
  /** the first frame goes here instead of to the listeners (the direct handshake reads it) */
  #intercept: ((frame: Uint8Array) => void) | undefined

  constructor (socket: Socket, remoteLabel: string, opts: StreamTransportOptions = {}) {
    super(remoteLabel)
    this.socket = socket
    this.#maxFrame = opts.maxFrame ?? MAX_STREAM_FRAME
    socket.setNoDelay(true)
    socket.on('data', (data: Buffer) => this.#onData(data))
    socket.on('drain', () => this.#release())
    socket.on('close', () => this.#lost('the connection closed'))
    socket.on('error', () => { /* 'close' follows */ })
  }

  async send (frame: Uint8Array): Promise<void> {
    if (this.closed) throw peerLost(this.remoteLabel, 'transport closed')
    if (!(frame instanceof Uint8Array)) throw GasError.badArgument('frame must be a Uint8Array')
    if (frame.byteLength > this.#maxFrame) throw GasError.frameLength(`frame of ${frame.byteLength} bytes exceeds ${this.#maxFrame}`)
    if (this.#outLength + 4 + frame.byteLength > this.#out.length) this.#flush()
    if (4 + frame.byteLength > this.#out.length) this.#out = Buffer.allocUnsafe(4 + frame.byteLength)
    this.#out.writeUInt32BE(frame.byteLength, this.#outLength)
    this.#out.set(frame, this.#outLength + 4)
    this.#outLength += 4 + frame.byteLength
    // why: an idle link sends at once (a WANT is a round trip the fetcher waits on); a busy one gathers until it has room
    if (this.#outLength >= WRITE_BATCH_BYTES || this.socket.writableLength === 0) this.#flush()
    else if (!this.#flushScheduled) {
      this.#flushScheduled = true
      // why: frames sent in one turn (a WANT batch, a run of BLOCKs) leave together
      setImmediate(() => { this.#flushScheduled = false; this.#flush() })
    }
    if (this.socket.writableLength < HIGH_WATER_BYTES) return
    await new Promise<void>((resolve, reject) => { this.#waiters.push({ resolve, reject }) })
  }

  close (): void {
    if (!this.finish()) return
    // frames already sent still reach the remote before it sees the end
    this.#flush()
    this.socket.end()
    this.#rejectWaiters(peerLost(this.remoteLabel, 'transport closed'))
  }

  /** Drops the connection at once (a cut cable, for tests and refused handshakes). */
  destroy (err?: Error): void {
    this.socket.destroy()
    this.#lost(err?.message ?? 'destroyed', err)
  }

  /** Resolves with the first frame, which is then not delivered to listeners. */
  async firstFrame (): Promise<Uint8Array> {
    return await new Promise((resolve, reject) => {
      this.#intercept = (frame) => { this.#intercept = undefined; resolve(frame) }
      this.onClose((err) => reject(err ?? peerLost(this.remoteLabel, 'closed during the handshake')))
    })
  }

  #flush (): void {
    if (this.#outLength === 0 || this.socket.destroyed) return
    const length = this.#outLength
    this.#outLength = 0
    // the socket keeps what it is given until written: a small piece is copied, a large buffer handed over
    if (length < SMALL_WRITE_BYTES) {
      this.socket.write(Buffer.from(this.#out.subarray(0, length)))
      return
    }
    const full = this.#out
    this.#out = this.#spare.pop() ?? Buffer.allocUnsafe(WRITE_BATCH_BYTES)
    // why: reused once written, so a transfer allocates a few buffers rather than one per 256 KiB (GC was a third of the sender's time)
    this.socket.write(full.subarray(0, length), () => { if (this.#spare.length < MAX_SPARE_BUFFERS) this.#spare.push(full) })
  }

  #release (): void {
    const waiters = this.#waiters
    this.#waiters = []
    for (const w of waiters) w.resolve()
  }

  #rejectWaiters (err: Error): void {
    const waiters = this.#waiters
    this.#waiters = []
    for (const w of waiters) w.reject(err)
  }

  #lost (why: string, err?: Error): void {
    const lost = err ?? peerLost(this.remoteLabel, why)
    this.finish(lost)
    this.#rejectWaiters(lost)
  }

  #onData (data: Buffer): void {
    let buf = data
    if (this.#partsLength > 0) {
      // complete the header, then the frame, begun in earlier reads
      if (this.#partsLength < 4) buf = this.#gather(buf, 4)
      if (this.#partsLength < 4) return
      const head = Buffer.concat(this.#parts, this.#partsLength)
      this.#parts = [head]
      const length = head.readUInt32BE(0)
      if (!this.#lengthOk(length)) return
      buf = this.#gather(buf, 4 + length)
      if (this.#partsLength < 4 + length) return
      const frame = Buffer.concat(this.#parts, this.#partsLength).subarray(4)
      this.#parts = []
      this.#partsLength = 0
      this.#deliverFrame(frame)
      if (this.closed) return
    }
    let offset = 0
    while (buf.length - offset >= 4) {
      const length = buf.readUInt32BE(offset)
      if (!this.#lengthOk(length)) return
      if (buf.length - offset < 4 + length) break
      this.#deliverFrame(buf.subarray(offset + 4, offset + 4 + length))
      if (this.closed) return
      offset += 4 + length
    }
    if (offset < buf.length) {
      this.#parts = [buf.subarray(offset)]
      this.#partsLength = buf.length - offset
    }
  }

  /** Moves bytes from `buf` to the frame being gathered until it holds `upTo`; returns what is left of `buf`. */
  #gather (buf: Buffer, upTo: number): Buffer {
    const take = Math.min(upTo - this.#partsLength, buf.length)
    if (take > 0) {
      this.#parts.push(buf.subarray(0, take))
      this.#partsLength += take
    }
    return buf.subarray(take)
  }

  #lengthOk (length: number): boolean {
    if (length <= this.#maxFrame) return true
    this.destroy(GasError.frameLength(`${this.remoteLabel} sent a frame of ${length} bytes (at most ${this.#maxFrame})`))
    return false
  }

  #deliverFrame (frame: Uint8Array): void {
    if (this.#intercept !== undefined) this.#intercept(frame)
    else this.deliver(frame)
  }
}
