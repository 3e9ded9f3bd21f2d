import { ID_BYTES } from '../wire/frame.js'
import { FRAME_HEADER_BYTES, MESSAGES } from '../wire/messages.js'
import type { FrameLease, Transport } from './transport.js'

/**
 * Rate limits on a real transport (README "Scheduling"): frames that carry content (chunks) pass
 * through the schedule's bucket, everything else (HELLO, REFS, WANTs, metadata and previews)
 * through a small bucket of its own, so history and previews keep arriving while big content
 * waits for a window. Buckets are shared: one upload bucket for every peer a `gas serve` talks
 * to holds its limit across all of them together.
 */
export interface FrameBucket {
  /** takes the bytes now when they fit (no waiting, no copy) */
  tryTake: (bytes: number) => boolean
  take: (bytes: number) => Promise<void>
}

export interface ThrottleBuckets {
  /** content sent */
  upContent?: FrameBucket
  /** everything else sent */
  upControl?: FrameBucket
  /** content received: delays delivery, which holds the sender back through the WANT window */
  downContent?: FrameBucket
  downControl?: FrameBucket
}

/** why: the chunk type's code in OBJECT_TYPES ('chunk' is first); anything else is metadata */
const CHUNK_TYPE_CODE = 0
/** BLOCK: header, then <id 32><objectType u8>; BATCH: header, <count u16>, then per entry <message id u8><length u16> and a BLOCK payload */
const BLOCK_TYPE_OFFSET = FRAME_HEADER_BYTES + ID_BYTES
const BATCH_FIRST_TYPE_OFFSET = FRAME_HEADER_BYTES + 2 + 3 + ID_BYTES
/** LARGE_BATCH entries have a u32 length */
const LARGE_BATCH_FIRST_TYPE_OFFSET = BATCH_FIRST_TYPE_OFFSET + 2

/** Whether a frame carries content (chunk bytes), read from its header without decoding it. */
export function carriesContent (frame: Uint8Array): boolean {
  if (frame.byteLength < FRAME_HEADER_BYTES) return false
  const id = frame[1]
  if (id === MESSAGES.BLOCK.id) return frame.byteLength > BLOCK_TYPE_OFFSET && frame[BLOCK_TYPE_OFFSET] === CHUNK_TYPE_CODE
  // a BATCH mixes objects; the first one's type stands for the frame (batches are filled in priority order)
  if (id === MESSAGES.BATCH.id) return frame.byteLength > BATCH_FIRST_TYPE_OFFSET && frame[BATCH_FIRST_TYPE_OFFSET] === CHUNK_TYPE_CODE
  if (id === MESSAGES.LARGE_BATCH.id) return frame.byteLength > LARGE_BATCH_FIRST_TYPE_OFFSET && frame[LARGE_BATCH_FIRST_TYPE_OFFSET] === CHUNK_TYPE_CODE
  return false
}

class ThrottledTransport implements Transport {
  readonly #inner: Transport
  readonly #buckets: ThrottleBuckets
  /** delivery stays in order: each received frame waits for the one before it */
  #delivered: Promise<void> = Promise.resolve()
  /** received frames still waiting for tokens */
  #held = 0

  constructor (inner: Transport, buckets: ThrottleBuckets) {
    this.#inner = inner
    this.#buckets = buckets
  }

  get closed (): boolean { return this.#inner.closed }
  get remoteLabel (): string { return this.#inner.remoteLabel }
  get copiesFrames (): boolean | undefined { return this.#inner.copiesFrames }
  /** why: the buckets take a frame larger than their burst as a debt the next refills pay, so large frames keep the average rate */
  get maxFrameBytes (): number | undefined { return this.#inner.maxFrameBytes }

  async send (frame: Uint8Array): Promise<void> {
    const bucket = carriesContent(frame) ? this.#buckets.upContent : this.#buckets.upControl
    if (bucket !== undefined && !bucket.tryTake(frame.byteLength)) {
      // a frame built in a reused scratch buffer must be copied before we wait, or the next one overwrites it
      if (this.#inner.copiesFrames === true) frame = frame.slice()
      await bucket.take(frame.byteLength)
    }
    await this.#inner.send(frame)
  }

  /**
   * send() of a frame encoded in the inner transport's output buffer, when it has one. A frame
   * the bucket takes at once stays there (no copy); one that must wait for tokens is copied out,
   * withdrawn, and sent once they are there, as send() does.
   */
  get sendInto (): Transport['sendInto'] {
    const inner = this.#inner
    if (inner.sendInto === undefined) return undefined
    return async (maxBytes, encode) => {
      let waiting: { frame: Uint8Array, bucket: FrameBucket } | undefined
      await inner.sendInto!(maxBytes, (into) => {
        const length = encode(into)
        if (length === undefined) return undefined
        const frame = into.subarray(0, length)
        const bucket = carriesContent(frame) ? this.#buckets.upContent : this.#buckets.upControl
        if (bucket === undefined || bucket.tryTake(length)) return length
        waiting = { frame: frame.slice(), bucket }
        return undefined
      })
      if (waiting === undefined) return
      await waiting.bucket.take(waiting.frame.byteLength)
      await inner.send(waiting.frame)
    }
  }

  /** frames delivered at once keep their leases; a delayed frame is kept for good (no lease: the transport reuses a leased buffer once its delivery returns) */
  onFrame (cb: (frame: Uint8Array, lease?: FrameLease) => void): void {
    const { downContent, downControl } = this.#buckets
    if (downContent === undefined && downControl === undefined) return this.#inner.onFrame(cb)
    this.#inner.onFrame((frame, lease) => {
      const bucket = carriesContent(frame) ? downContent : downControl
      // delivered now, inside the transport's delivery: the lease holds (a sync's frames are wrapped even when unlimited)
      if (this.#held === 0 && (bucket === undefined || bucket.tryTake(frame.byteLength))) return cb(frame, lease)
      this.#held++
      this.#delivered = this.#delivered
        .then(async () => { if (bucket !== undefined) await bucket.take(frame.byteLength) })
        .then(() => { if (!this.#inner.closed) cb(frame) }, () => {})
        .finally(() => { this.#held-- })
    })
  }

  onClose (cb: (err?: Error) => void): void { this.#inner.onClose(cb) }
  close (): void { this.#inner.close() }
}

/** `transport` with its frames paced by `buckets` (any left out are not limited). */
export function throttleTransport (transport: Transport, buckets: ThrottleBuckets): Transport {
  return new ThrottledTransport(transport, buckets)
}
