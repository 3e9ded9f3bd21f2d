import { GasError } from '../../errors.js'
import type { Clock } from './ledger.js'
import { MAX_IN_FLIGHT_REQUESTS } from './want-manager.js'

/**
 * Per-peer limits on what a remote may make the serving side do, so one peer flooding WANTs (or
 * frames we skip) costs the others at most a small, fixed share of this process:
 * - block requests queued here are capped (an honest remote keeps ≤ its window in flight); past
 *   the cap the remote is dropped;
 * - block requests we cannot serve (DONT_HAVE) are paced by a token bucket: an honest remote asks
 *   for what was advertised and rarely misses, a flood of bogus ids is all misses, so it is served
 *   at MISSED_WANTS_PER_SECOND while the others go at full speed;
 * - HAVE queries waiting for an answer are capped and answered at HAVE_QUERIES_PER_SECOND (a
 *   swarm probes every missing object at once, so the cap is large, and a query is only a lookup);
 * - frames with a message id we do not know are skipped (the protocol grows that way), up to a cap.
 * A dropped remote is told why (E_PROTOCOL, data.flood) and its requests are forgotten.
 */

/** why: 8 × the requester's window (want-manager MAX_IN_FLIGHT_REQUESTS): an honest remote never has more queued here, even with CANCELs still on their way */
export const MAX_QUEUED_WANTS = 8 * MAX_IN_FLIGHT_REQUESTS
/**
 * why: a miss costs a store lookup (an index search, and a stat of the loose folder) and its share
 * of a DONT_HAVE frame, ~10–20 µs; 2 000 a second is ≤ 4% of one core, however many bogus ids arrive
 */
export const MISSED_WANTS_PER_SECOND = 2_000
/** why: an honest remote asking a peer that lacks part of a version (selective sync) misses at most a window's worth at once */
export const MISSED_WANTS_BURST = MAX_IN_FLIGHT_REQUESTS
/** why: a swarm probes every object of a fetch at once (a 10 GB file is ~160 000 chunks); more waiting is a peer making us allocate */
export const MAX_PENDING_HAVE_QUERIES = 262_144
/** why: a HAVE query is an index lookup; this pace answers the largest honest probe within seconds and bounds a flood's share */
export const HAVE_QUERIES_PER_SECOND = 50_000
/** why: a newer peer sends a few messages we do not know per exchange; thousands are a peer keeping us busy */
export const MAX_UNKNOWN_MESSAGES = 4_096

export function floodError (peer: string, why: string): GasError {
  return GasError.protocol(`${peer} ${why}; dropped (flooding)`, { peer, flood: true })
}

/**
 * A count allowed per second with a burst, starting full (src/schedule's TokenBucket starts empty and
 * queues waiters in order; here an honest peer's first misses must not wait, and one waiter is enough).
 */
export class Allowance {
  readonly #clock: Clock
  readonly #rate: number
  readonly #burst: number
  #tokens: number
  #last: number
  #closed = false
  #cancel: (() => void) | undefined
  #wake: (() => void) | undefined

  constructor (clock: Clock, rate: number, burst: number) {
    this.#clock = clock
    this.#rate = rate
    this.#burst = burst
    this.#tokens = burst
    this.#last = clock.now()
  }

  /** Spends `count` if the allowance is not used up; false (nothing spent) when it is. */
  trySpend (count: number): boolean {
    if (this.#closed) return true
    const now = this.#clock.now()
    this.#tokens = Math.min(this.#burst, this.#tokens + (now - this.#last) * this.#rate / 1000)
    this.#last = now
    if (this.#tokens <= 0) return false
    this.#tokens -= count
    return true
  }

  /** Spends `count`, waiting first while the allowance is used up; resolves at once when closed. */
  async spend (count: number): Promise<void> {
    for (;;) {
      if (this.#closed) return
      const now = this.#clock.now()
      this.#tokens = Math.min(this.#burst, this.#tokens + (now - this.#last) * this.#rate / 1000)
      this.#last = now
      if (this.#tokens > 0) {
        this.#tokens -= count
        return
      }
      const ms = Math.max(1, Math.ceil(-this.#tokens * 1000 / this.#rate) + 1)
      await new Promise<void>((resolve) => {
        this.#wake = resolve
        this.#cancel = this.#clock.after(ms, resolve)
      })
      this.#cancel = undefined
      this.#wake = undefined
    }
  }

  close (): void {
    this.#closed = true
    this.#cancel?.()
    this.#wake?.()
  }
}

export class FloodGuard {
  readonly misses: Allowance
  readonly haveQueries: Allowance
  #pendingHaveQueries = 0
  #unknownMessages = 0
  readonly #peer: () => string

  constructor (clock: Clock, peer: () => string) {
    this.#peer = peer
    this.misses = new Allowance(clock, MISSED_WANTS_PER_SECOND, MISSED_WANTS_BURST)
    this.haveQueries = new Allowance(clock, HAVE_QUERIES_PER_SECOND, HAVE_QUERIES_PER_SECOND)
  }

  get pendingHaveQueries (): number { return this.#pendingHaveQueries }

  /** Block requests: throws (drop the remote) when they would queue more than MAX_QUEUED_WANTS. */
  admitBlockWants (queued: number, count: number): void {
    if (queued + count > MAX_QUEUED_WANTS) throw floodError(this.#peer(), `queued more than ${MAX_QUEUED_WANTS} block requests`)
  }

  /** HAVE queries: throws when more than MAX_PENDING_HAVE_QUERIES would wait; `answered` when they are. */
  admitHaveQueries (count: number): void {
    if (this.#pendingHaveQueries + count > MAX_PENDING_HAVE_QUERIES) throw floodError(this.#peer(), `has more than ${MAX_PENDING_HAVE_QUERIES} HAVE queries waiting`)
    this.#pendingHaveQueries += count
  }

  haveQueriesAnswered (count: number): void {
    this.#pendingHaveQueries -= count
  }

  /** A frame with a message id we do not know: throws past MAX_UNKNOWN_MESSAGES. */
  unknownMessage (): void {
    if (++this.#unknownMessages > MAX_UNKNOWN_MESSAGES) throw floodError(this.#peer(), `sent more than ${MAX_UNKNOWN_MESSAGES} messages this build does not know`)
  }

  close (): void {
    this.misses.close()
    this.haveQueries.close()
  }
}
