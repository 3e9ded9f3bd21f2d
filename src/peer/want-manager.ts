import type { ObjectId } from '../objects/id.js'
import { systemClock, type Clock } from './ledger.js'

/**
 * The requests we have in flight to one peer, and how many more we may send. The window is in
 * bytes and follows the bandwidth-delay product of the link, measured as BBR does:
 *
 *   window = WINDOW_GAIN × deliveryRate × minRtt   (clamped to [MIN_WINDOW_BYTES, MAX_WINDOW_BYTES])
 *
 * deliveryRate is sampled per completed request as the bytes delivered between its request and
 * its arrival divided by that time, so it is right even when requests queue at the remote; minRtt
 * is the fastest request→arrival time seen. With a gain of 2 the window keeps the pipe full and
 * grows every round trip while the measured rate still grows (slow start), then settles.
 */

/** why: like TCP's initial window: enough to probe the link, small enough that a 64 KiB/s link is not buried under a second of queued data */
export const INITIAL_WINDOW_BYTES = 256 * 1024
/** why: two average chunks, so a link never idles between requests; an empty window still takes one object of any size (see canRequest) */
export const MIN_WINDOW_BYTES = 128 * 1024
/** why: 1 Gbit/s × 100 ms RTT with gain 2; more only buys memory and queueing at the remote */
export const MAX_WINDOW_BYTES = 32 * 1024 * 1024
/** why: BBR's pacing gain for startup/cruise: one BDP in the pipe plus one queued at the remote hides request latency */
export const WINDOW_GAIN = 2
/** why: caps tiny requests (trees, manifests) whose byte estimate would let thousands through; also bounds what the remote must queue (MAX_QUEUED_WANTS) */
export const MAX_IN_FLIGHT_REQUESTS = 1024
/** why: a first guess for an object whose size we do not know yet (metadata); corrected by what arrives */
export const UNKNOWN_SIZE_ESTIMATE = 4 * 1024
/** why: weight of a new delivery-rate sample; 1/8 as in TCP's SRTT, smooths per-tick bursts */
const RATE_ALPHA = 1 / 8

interface InFlight {
  sentAt: number
  size: number
  /** bytes delivered by this peer when the request was sent */
  deliveredAtSend: number
}

export class PeerWindow {
  readonly #clock: Clock
  readonly #inFlight = new Map<ObjectId, InFlight>()
  #inFlightBytes = 0
  #delivered = 0
  #deliveryRate = 0
  #minRtt = Infinity
  #window = INITIAL_WINDOW_BYTES

  constructor (clock: Clock = systemClock) {
    this.#clock = clock
  }

  get inFlightBytes (): number { return this.#inFlightBytes }
  get inFlightCount (): number { return this.#inFlight.size }
  /** bytes per second, smoothed */
  get deliveryRate (): number { return this.#deliveryRate }
  /** milliseconds; Infinity before the first completion */
  get minRtt (): number { return this.#minRtt }
  get windowBytes (): number { return this.#window }
  /** bytes delivered in total */
  get delivered (): number { return this.#delivered }

  has (id: ObjectId): boolean {
    return this.#inFlight.has(id)
  }

  ids (): ObjectId[] {
    return [...this.#inFlight.keys()]
  }

  /** Whether a request of `size` bytes fits; an empty window always takes one, so a huge object is never stuck. */
  canRequest (size = UNKNOWN_SIZE_ESTIMATE): boolean {
    if (this.#inFlight.size >= MAX_IN_FLIGHT_REQUESTS) return false
    return this.#inFlight.size === 0 || this.#inFlightBytes + size <= this.#window
  }

  /** How long this peer should take to deliver `size` more bytes after what is in flight (ms). */
  expectedMs (size: number): number {
    if (this.#deliveryRate <= 0) return Infinity
    return (this.#inFlightBytes + size) / this.#deliveryRate * 1000 + (Number.isFinite(this.#minRtt) ? this.#minRtt : 0)
  }

  requested (id: ObjectId, size = UNKNOWN_SIZE_ESTIMATE): void {
    if (this.#inFlight.has(id)) return
    this.#inFlight.set(id, { sentAt: this.#clock.now(), size, deliveredAtSend: this.#delivered })
    this.#inFlightBytes += size
  }

  /** The object arrived (`bytes` on the wire): updates rate, RTT and window. Returns false if it was not in flight. */
  completed (id: ObjectId, bytes: number): boolean {
    const entry = this.#take(id)
    if (entry === undefined) return false
    this.#delivered += bytes
    const elapsed = this.#clock.now() - entry.sentAt
    if (elapsed > 0) {
      this.#minRtt = Math.min(this.#minRtt, elapsed)
      const sample = (this.#delivered - entry.deliveredAtSend) / elapsed * 1000
      this.#deliveryRate = this.#deliveryRate === 0 ? sample : this.#deliveryRate + RATE_ALPHA * (sample - this.#deliveryRate)
      const bdp = this.#deliveryRate * this.#minRtt / 1000
      this.#window = Math.min(MAX_WINDOW_BYTES, Math.max(MIN_WINDOW_BYTES, WINDOW_GAIN * bdp))
    }
    return true
  }

  /** The request ended without data (DONT_HAVE, CANCEL, peer lost). */
  dropped (id: ObjectId): boolean {
    return this.#take(id) !== undefined
  }

  /** Forgets everything in flight; returns the ids. */
  clear (): ObjectId[] {
    const ids = [...this.#inFlight.keys()]
    this.#inFlight.clear()
    this.#inFlightBytes = 0
    return ids
  }

  #take (id: ObjectId): InFlight | undefined {
    const entry = this.#inFlight.get(id)
    if (entry === undefined) return undefined
    this.#inFlight.delete(id)
    this.#inFlightBytes -= entry.size
    return entry
  }
}
