/**
 * What we exchanged with each peer: objects and payload bytes both ways, every wire byte, and a
 * smoothed rate. The CLI reports `fetched`/`sent` from here, so counts are exact: payload bytes
 * are the (encoded) object bytes carried in BLOCK frames, wire bytes are whole frames.
 */

/** Time is injected (src/clock.ts) so rate and timeout logic runs under a manual clock in tests. */
import { systemClock, type Clock } from '../../clock.js'
export { systemClock, type Clock }

/** why: a 1 s half-life follows a link whose rate changes within seconds but smooths the bursts of frames delivered per timer tick */
export const RATE_HALF_LIFE_MS = 1000

/**
 * Exponentially decayed byte counter: `rate()` is bytes/second with an exponential kernel of the
 * given half-life. Irregular arrivals need no sampling interval.
 */
export class RateMeter {
  readonly #clock: Clock
  readonly #halfLifeMs: number
  #decayed = 0
  #last: number

  constructor (clock: Clock = systemClock, halfLifeMs = RATE_HALF_LIFE_MS) {
    this.#clock = clock
    this.#halfLifeMs = halfLifeMs
    this.#last = clock.now()
  }

  add (bytes: number): void {
    this.#decay()
    this.#decayed += bytes
  }

  /** bytes per second */
  rate (): number {
    this.#decay()
    // the kernel 2^(-t/h) integrates to h/ln2 ms
    return this.#decayed / (this.#halfLifeMs / Math.LN2) * 1000
  }

  #decay (): void {
    const t = this.#clock.now()
    const dt = t - this.#last
    if (dt > 0) {
      this.#decayed *= Math.pow(2, -dt / this.#halfLifeMs)
      this.#last = t
    }
  }
}

export interface LedgerTotals {
  objectsSent: number
  objectsReceived: number
  /** payload (BLOCK object bytes) */
  bytesSent: number
  bytesReceived: number
  /** every frame, headers and control messages included */
  wireBytesSent: number
  wireBytesReceived: number
}

/** One peer's account. */
export class PeerLedger implements LedgerTotals {
  readonly peer: string
  objectsSent = 0
  objectsReceived = 0
  bytesSent = 0
  bytesReceived = 0
  wireBytesSent = 0
  wireBytesReceived = 0
  /** objects that failed verification: the peer sent bytes that do not match their id */
  corruptObjects = 0
  readonly sendRate: RateMeter
  readonly receiveRate: RateMeter

  constructor (peer: string, clock: Clock = systemClock) {
    this.peer = peer
    this.sendRate = new RateMeter(clock)
    this.receiveRate = new RateMeter(clock)
  }

  frameSent (bytes: number): void {
    this.wireBytesSent += bytes
    this.sendRate.add(bytes)
  }

  frameReceived (bytes: number): void {
    this.wireBytesReceived += bytes
    this.receiveRate.add(bytes)
  }

  /** payload bytes of one BLOCK fragment sent; `whole` when it completed an object */
  payloadSent (bytes: number, whole: boolean): void {
    this.bytesSent += bytes
    if (whole) this.objectsSent++
  }

  payloadReceived (bytes: number, whole: boolean): void {
    this.bytesReceived += bytes
    if (whole) this.objectsReceived++
  }

  /** bytes we received per byte we sent; like bitswap's debt ratio, for serving fairly */
  debtRatio (): number {
    return this.bytesSent / (this.bytesReceived + 1)
  }
}

/** Accounts for every peer a process talked to; survives sessions so a reconnect keeps its history. */
export class Ledger {
  readonly #clock: Clock
  readonly #peers = new Map<string, PeerLedger>()

  constructor (clock: Clock = systemClock) {
    this.#clock = clock
  }

  peer (label: string): PeerLedger {
    let entry = this.#peers.get(label)
    if (entry === undefined) {
      entry = new PeerLedger(label, this.#clock)
      this.#peers.set(label, entry)
    }
    return entry
  }

  peers (): PeerLedger[] {
    return [...this.#peers.values()]
  }

  totals (): LedgerTotals {
    const sum: LedgerTotals = { objectsSent: 0, objectsReceived: 0, bytesSent: 0, bytesReceived: 0, wireBytesSent: 0, wireBytesReceived: 0 }
    for (const p of this.#peers.values()) {
      sum.objectsSent += p.objectsSent
      sum.objectsReceived += p.objectsReceived
      sum.bytesSent += p.bytesSent
      sum.bytesReceived += p.bytesReceived
      sum.wireBytesSent += p.wireBytesSent
      sum.wireBytesReceived += p.wireBytesReceived
    }
    return sum
  }
}
