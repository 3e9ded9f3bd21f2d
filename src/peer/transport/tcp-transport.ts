import type { Socket } from 'node:net'
import { GasError } from '../../errors.js'
import { FramePool, type PooledFrame } from './frame-pool.js'
import { directFrames } from './shared-frames.js'
import { SocketWriter } from './socket-writer.js'
import type { SocketReads } from './socket-reads.js'
import { LARGE_FRAME, MAX_FRAME, TransportBase, peerLost } from './transport.js'

/**
 * Frames over a stream socket (TLS over TCP on the direct path): `<length u32 BE><frame>`.
 * - Sends are copied into one output buffer and written in large pieces: TLS then seals full
 *   16 KiB records and the kernel sees few, large writes (one write per 64 KiB frame, header
 *   separate, cost a third of the throughput in a profile).
 * - Backpressure is the socket's: send() resolves at once while less than HIGH_WATER_BYTES wait
 *   in the socket, otherwise once a write is called back (SocketWriter: one write at a time).
 * - A frame that spans several reads is gathered once into a buffer of its size (a large one from
 *   a pool, reused once the session lets go of it: FrameLease), not re-concatenated per read.
 */

/** why: the largest frame the stream carries (LARGE_FRAME, sent only to peers that said 'large-frames'); a larger length means the stream is garbage or hostile */
export const MAX_STREAM_FRAME = LARGE_FRAME
/** why: the output buffer is written when it holds this much (or at the end of the event-loop turn); 256 KiB = 16 TLS records per write */
export const WRITE_BATCH_BYTES = 256 * 1024
/** why: what may wait in the socket before send() makes the caller wait; ~4 MiB covers a LAN's bandwidth-delay product at 1 GB/s */
export const HIGH_WATER_BYTES = 4 * 1024 * 1024

/** why: a gathered frame over MAX_FRAME (a 'large-frames' peer) goes into a pooled LARGE_FRAME buffer; a smaller one gets a buffer of its size, as before */
const POOLED_FRAME_BYTES = MAX_FRAME + 1

/** why: a TLS record holds 16 KiB; less left of a frame is copied from the read buffer as before */
const IN_PLACE_READ_BYTES = 16 * 1024

/** why: control messages (WANT, HAVE) are small; copying them out beats a fresh 256 KiB buffer per write */
const SMALL_WRITE_BYTES = 16 * 1024

/**
 * why: HIGH_WATER_BYTES of buffers can wait for the socket, with one in it and one being filled;
 * keeping that many covers a steady transfer (a fresh 1 MiB buffer is 256 page faults on first touch)
 */
const SPARE_BYTES = HIGH_WATER_BYTES + 2 * LARGE_FRAME

export interface StreamTransportOptions {
  /** the largest frame accepted and sent (default MAX_STREAM_FRAME) */
  maxFrame?: number
  /** the socket was made with `onread: reads.option` (socket-reads.ts): its reads come from there, not as 'data' events */
  reads?: SocketReads
}

export class StreamTransport extends TransportBase {
  readonly copiesFrames = true
  readonly maxFrameBytes: number
  readonly socket: Socket
  readonly #maxFrame: number
  /**
   * why: output buffers grow to hold the largest frame sent (a 1 MiB LARGE_BATCH with its length);
   * one of WRITE_BATCH_BYTES per such frame was a fresh 1 MiB allocation each, a third of the
   * sender's garbage-collector time
   */
  #bufferBytes = WRITE_BATCH_BYTES
  #out: Buffer = Buffer.allocUnsafe(WRITE_BATCH_BYTES)
  #outLength = 0
  /** output buffers of #bufferBytes the socket is done with */
  readonly #spare: Buffer[] = []
  #flushScheduled = false
  readonly #writer: SocketWriter
  /** the length prefix, when it spans reads */
  readonly #header = Buffer.alloc(4)
  #headerFilled = 0
  /** the frame being gathered across reads */
  #gathering: { frame: Buffer, length: number, filled: number, pooled?: PooledFrame } | undefined
  /** receive buffers for frames over POOLED_FRAME_BYTES */
  readonly #pool: FramePool
  #waiters: Array<{ resolve: () => void, reject: (err: Error) => void }> = []
  /** the first frame goes here instead of to the listeners (the direct handshake reads it) */
  #intercept: ((frame: Uint8Array) => void) | undefined

  constructor (socket: Socket, remoteLabel: string, opts: StreamTransportOptions = {}) {
    super(remoteLabel)
    this.socket = socket
    this.#maxFrame = opts.maxFrame ?? MAX_STREAM_FRAME
    this.maxFrameBytes = this.#maxFrame
    this.#pool = new FramePool(this.#maxFrame, directFrames)
    socket.setNoDelay(true)
    this.#writer = new SocketWriter(socket, () => this.#written())
    if (opts.reads !== undefined) opts.reads.listen((data, inPlace) => inPlace ? this.#readInPlace(data) : this.#onData(data, true), () => this.#readTarget())
    else socket.on('data', (data: Buffer) => this.#onData(data, false))
    socket.on('drain', () => this.#written())
    socket.on('close', () => this.#lost('the connection closed'))
    socket.on('error', () => { /* 'close' follows */ })
  }

  async send (frame: Uint8Array): Promise<void> {
    if (this.closed) throw peerLost(this.remoteLabel, 'transport closed')
    if (!(frame instanceof Uint8Array)) throw GasError.badArgument('frame must be a Uint8Array')
    if (frame.byteLength > this.#maxFrame) throw GasError.frameLength(`frame of ${frame.byteLength} bytes exceeds ${this.#maxFrame}`)
    this.#reserve(frame.byteLength)
    this.#out.writeUInt32BE(frame.byteLength, this.#outLength)
    this.#out.set(frame, this.#outLength + 4)
    this.#outLength += 4 + frame.byteLength
    await this.#sent()
  }

  /**
   * send() of a frame `encode` writes into the output buffer itself. why: the serving side encoded
   * each 1 MiB frame into a scratch buffer that send() then copied here; encoding in place skips
   * that copy and the scratch buffer.
   */
  async sendInto (maxBytes: number, encode: (into: Uint8Array) => number | undefined): Promise<void> {
    if (this.closed) throw peerLost(this.remoteLabel, 'transport closed')
    if (!(Number.isInteger(maxBytes) && maxBytes >= 0)) throw GasError.badArgument('maxBytes must be a non-negative integer')
    if (maxBytes > this.#maxFrame) throw GasError.frameLength(`frame of up to ${maxBytes} bytes exceeds ${this.#maxFrame}`)
    this.#reserve(maxBytes)
    const at = this.#outLength
    const length = encode(this.#out.subarray(at + 4, at + 4 + maxBytes))
    if (length === undefined) return
    if (!(Number.isInteger(length) && length >= 0 && length <= maxBytes)) throw GasError.badArgument(`encoded frame length ${length} is not within 0..${maxBytes}`)
    this.#out.writeUInt32BE(length, at)
    this.#outLength += 4 + length
    await this.#sent()
  }

  /** Makes room for a frame of `bytes` and its length at the end of the output buffer. */
  #reserve (bytes: number): void {
    if (this.#outLength + 4 + bytes > this.#out.length) this.#flush()
    if (4 + bytes > this.#out.length) this.#grow(4 + bytes)
  }

  /** After a frame went into the output buffer: writes or schedules it, and waits while the socket holds too much. */
  async #sent (): Promise<void> {
    // why: an idle link sends at once (a WANT is a round trip the fetcher waits on); a busy one gathers until it has room
    if (this.#outLength >= WRITE_BATCH_BYTES || this.#writer.pendingBytes === 0) this.#flush()
    else if (!this.#flushScheduled) {
      this.#flushScheduled = true
      // why: frames sent in one turn (a WANT batch, a run of BLOCKs) leave together
      setImmediate(() => { this.#flushScheduled = false; this.#flush() })
    }
    if (this.#writer.pendingBytes < HIGH_WATER_BYTES) return
    await new Promise<void>((resolve, reject) => { this.#waiters.push({ resolve, reject }) })
  }

  close (): void {
    if (!this.finish()) return
    // frames already sent still reach the remote before it sees the end
    this.#flush()
    this.#writer.writeAll()
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
      this.#writer.write(Buffer.from(this.#out.subarray(0, length)))
      return
    }
    const full = this.#out
    this.#out = this.#spare.pop() ?? Buffer.allocUnsafe(this.#bufferBytes)
    // why: reused once written, so a transfer allocates a few buffers rather than one per 256 KiB (GC was a third of the sender's time)
    this.#writer.write(full.subarray(0, length), () => {
      if (full.length === this.#bufferBytes && (this.#spare.length + 1) * full.length <= Math.max(SPARE_BYTES, 2 * full.length)) this.#spare.push(full)
    })
  }

  /** Buffers from now on hold `bytes` (a larger frame than any before); smaller spares are dropped. */
  #grow (bytes: number): void {
    this.#bufferBytes = bytes
    this.#spare.length = 0
    this.#out = Buffer.allocUnsafe(bytes)
  }

  /** A write was called back: senders held back go on once there is room. */
  #written (): void {
    if (this.#writer.pendingBytes < HIGH_WATER_BYTES) this.#release()
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
    this.#writer.clear()
    this.#gathering = undefined
    this.#pool.clear()
    const lost = err ?? peerLost(this.remoteLabel, why)
    this.finish(lost)
    this.#rejectWaiters(lost)
  }

  /** Where the next read goes when a large frame is being gathered: the rest of its buffer (socket-reads.ts). */
  #readTarget (): Buffer | undefined {
    const gathering = this.#gathering
    if (gathering === undefined || gathering.length - gathering.filled < IN_PLACE_READ_BYTES || this.closed) return undefined
    return gathering.frame.subarray(gathering.filled, gathering.length)
  }

  /** A read that landed in the gathered frame's buffer, where #readTarget said. */
  #readInPlace (data: Buffer): void {
    const gathering = this.#gathering
    if (gathering === undefined || this.closed) return
    gathering.filled += data.length
    if (gathering.filled < gathering.length) return
    this.#gathering = undefined
    this.#deliverFrame(gathering.frame.subarray(0, gathering.length), gathering.pooled)
  }

  /** `reused`: `data` is valid only during this call (socket-reads.ts), so a frame is never a view of it */
  #onData (data: Buffer, reused: boolean): void {
    let offset = 0
    while (offset < data.length && !this.closed) {
      const gathering = this.#gathering
      if (gathering !== undefined) {
        const take = Math.min(gathering.length - gathering.filled, data.length - offset)
        data.copy(gathering.frame, gathering.filled, offset, offset + take)
        gathering.filled += take
        offset += take
        if (gathering.filled < gathering.length) return
        this.#gathering = undefined
        this.#deliverFrame(gathering.frame.subarray(0, gathering.length), gathering.pooled)
        continue
      }
      let length: number
      if (this.#headerFilled === 0 && data.length - offset >= 4) {
        length = data.readUInt32BE(offset)
        if (!this.#lengthOk(length)) return
        offset += 4
        // a frame whole in this read is a view of it (a copy when the read's buffer is reused)
        if (data.length - offset >= length) {
          this.#deliverFrame(reused ? Buffer.from(data.subarray(offset, offset + length)) : data.subarray(offset, offset + length))
          offset += length
          continue
        }
      } else {
        const take = Math.min(4 - this.#headerFilled, data.length - offset)
        data.copy(this.#header, this.#headerFilled, offset, offset + take)
        this.#headerFilled += take
        offset += take
        if (this.#headerFilled < 4) return
        this.#headerFilled = 0
        length = this.#header.readUInt32BE(0)
        if (!this.#lengthOk(length)) return
      }
      const pooled = length >= POOLED_FRAME_BYTES ? this.#pool.take() : undefined
      this.#gathering = { frame: pooled?.buffer ?? Buffer.allocUnsafe(length), length, filled: 0, pooled }
      if (length === 0) {
        this.#gathering = undefined
        this.#deliverFrame(new Uint8Array(0))
      }
    }
  }

  #lengthOk (length: number): boolean {
    if (length <= this.#maxFrame) return true
    this.destroy(GasError.frameLength(`${this.remoteLabel} sent a frame of ${length} bytes (at most ${this.#maxFrame})`))
    return false
  }

  #deliverFrame (frame: Uint8Array, pooled?: PooledFrame): void {
    if (this.#intercept !== undefined) this.#intercept(frame)
    else this.deliver(frame, pooled)
    pooled?.delivered()
  }
}
