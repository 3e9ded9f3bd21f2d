import type { ObjectId } from '../../objects/id.js'
import { systemClock, type Clock } from './ledger.js'

/**
 * The requests we have in flight to one peer, and how many more we may send. The window is in
 * bytes and follows the bandwidth-delay product of the link, measured as BBR does:
 *
 *   window = WINDOW_GAIN × deliveryRate × minRtt   (clamped to [MIN_WINDOW_BYTES, MAX_WINDOW_BYTES])
 *
 * deliveryRate is sampled per completed request as the bytes delivered between its request and
 * its arrival divided by that time, so it is right even when requests queue at the remote; the
 * estimate is the largest sample of the last RATE_FILTER_MS (BBR's windowed max: a sample can
 * only undershoot the link, never overshoot it). minRtt is the fastest request→arrival time seen.
 * With a gain of 2 the window keeps the pipe full and doubles every round trip while the measured
 * rate still grows (slow start), then settles.
 */

/** why: like TCP's initial window, ~16 average chunks: a 200 ms, 40 Mbit/s link is full after two doublings; on a slow link the excess waits at the remote, where priorities still reorder it */
export const INITIAL_WINDOW_BYTES = 1024 * 1024
/** see wantsRefill */
export const REFILL_FRACTION = 1 / 8
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
/**
 * why: the smallest round trip the window is sized for. On loopback or a LAN minRtt is well under a
 * millisecond, but both peers' event loops (hashing, disk writes, GC) stall for milliseconds at a
 * time, and the kernel's socket buffers on both sides hold several MiB of what is "in flight"; a
 * window of one measured RTT then lets the remote's queue run dry between our requests. Measured on
 * loopback, 1 GiB over the direct path, five runs each: 25 ms and a 6 MiB cap 237 MB/s, 24 MiB 264,
 * 50 ms and 32 MiB 276; 100–200 ms and 64–128 MiB no better.
 */
export const MIN_WINDOW_RTT_MS = 50
/**
 * why: what is in flight is what a crash fetches again (resume), so the allowance above stops at
 * MAX_WINDOW_BYTES: a link that fast refetches it in a tenth of a second.
 */
export const MAX_ALLOWANCE_WINDOW_BYTES = 32 * 1024 * 1024
/** why: BBR keeps its bandwidth max over ~10 round trips; 2 s covers that for RTTs up to 200 ms and forgets a link that slowed down */
export const RATE_FILTER_MS = 2_000

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
  /** delivery-rate samples, decreasing in value, increasing in time (monotonic max queue) */
  #rateSamples: Array<{ rate: number, at: number }> = []
  #minRtt = Infinity
  #window = INITIAL_WINDOW_BYTES

  constructor (clock: Clock = systemClock) {
    this.#clock = clock
  }

  get inFlightBytes (): number { return this.#inFlightBytes }
  get inFlightCount (): number { return this.#inFlight.size }
  /** bytes per second, smoothed */
  get deliveryRate (): number { return this.#rateSamples[0]?.rate ?? 0 }
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

  /** When the oldest request still in flight was sent (the map keeps insertion order), or undefined. */
  get oldestSentAt (): number | undefined {
    for (const entry of this.#inFlight.values()) return entry.sentAt
    return undefined
  }

  /** Whether a request of `size` bytes fits; an empty window always takes one, so a huge object is never stuck. */
  canRequest (size = UNKNOWN_SIZE_ESTIMATE): boolean {
    if (this.#inFlight.size >= MAX_IN_FLIGHT_REQUESTS) return false
    return this.#inFlight.size === 0 || this.#inFlightBytes + size <= this.#window
  }

  /**
   * Whether to top the window up now: when it is empty, or when at least REFILL_FRACTION of it is
   * free. why: every WANT is a message the other way, handled by both SCTP stacks and both JS
   * threads; topping up per object sent ~1 WANT per 64 KiB, in eighths ~1 per 768 KiB on loopback (in
   * quarters the window ran a quarter emptier on average, which measured no better).
   */
  wantsRefill (): boolean {
    return this.#inFlight.size === 0 || this.#window - this.#inFlightBytes >= this.#window * REFILL_FRACTION
  }

  /** How long this peer should take to deliver `size` more bytes after what is in flight (ms). */
  expectedMs (size: number): number {
    const rate = this.deliveryRate
    if (rate <= 0) return Infinity
    return (this.#inFlightBytes + size) / rate * 1000 + (Number.isFinite(this.#minRtt) ? this.#minRtt : 0)
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
    const now = this.#clock.now()
    const elapsed = now - entry.sentAt
    if (elapsed > 0) {
      this.#minRtt = Math.min(this.#minRtt, elapsed)
      this.#addRateSample((this.#delivered - entry.deliveredAtSend) / elapsed * 1000, now)
      const measured = this.deliveryRate * this.#minRtt / 1000
      const allowance = Math.min(this.deliveryRate * MIN_WINDOW_RTT_MS / 1000, MAX_ALLOWANCE_WINDOW_BYTES / WINDOW_GAIN)
      const bdp = Math.max(measured, allowance)
      this.#window = Math.min(MAX_WINDOW_BYTES, Math.max(MIN_WINDOW_BYTES, WINDOW_GAIN * bdp))
    }
    return true
  }

  #addRateSample (rate: number, at: number): void {
    const samples = this.#rateSamples
    while (samples.length > 0 && samples[samples.length - 1].rate <= rate) samples.pop()
    samples.push({ rate, at })
    while (samples[0].at < at - RATE_FILTER_MS) samples.shift()
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
