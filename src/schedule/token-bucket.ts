import type { Clock } from '../clock.js'

/**
 * A token bucket: `take(n)` resolves when n bytes may go. The rate is read from `rate()` at every
 * refill, so a schedule that opens, closes or changes its cap takes effect at once; `changed()`
 * wakes waiters early (a new schedule set in a running `gas serve`). Rate Infinity passes
 * everything, 0 holds everything until the rate rises. One bucket shared by every peer makes a
 * limit hold across all of them together.
 */
export interface TokenBucketOptions {
  clock: Clock
  /** bytes/s now */
  rate: () => number
  /** why: a burst of 100 ms of the rate keeps timers coarse without overshooting the limit measurably */
  burstSeconds?: number
  /** the burst never drops below one frame, or a frame bigger than the burst could never pass */
  minBurst?: number
  /** while held at rate 0, look at the rate again this often (ms) */
  pollMs?: number
}

interface Waiter { bytes: number, resolve: () => void, reject: (err: Error) => void }

export class TokenBucket {
  readonly #opts: Required<TokenBucketOptions>
  #tokens = 0
  #last: number
  #queue: Waiter[] = []
  #cancelTimer: (() => void) | undefined
  /** bytes that have passed */
  passed = 0

  constructor (opts: TokenBucketOptions) {
    this.#opts = { burstSeconds: 0.1, minBurst: 64 * 1024, pollMs: 1000, ...opts }
    this.#last = opts.clock.now()
  }

  /** Takes `bytes` now if they fit and nobody waits before them; the fast path of a sender. */
  tryTake (bytes: number): boolean {
    return this.#queue.length === 0 && this.#tryTake(bytes)
  }

  /** Resolves once `bytes` fit under the rate; waiters go in order. */
  async take (bytes: number): Promise<void> {
    if (this.tryTake(bytes)) return
    await new Promise<void>((resolve, reject) => {
      this.#queue.push({ bytes, resolve, reject })
      this.#schedule()
    })
  }

  /** The rate may have changed: look again now. */
  changed (): void {
    this.#cancelTimer?.()
    this.#cancelTimer = undefined
    this.#drain()
  }

  /** Fails every waiter (the transfer was stopped). */
  abort (err: Error): void {
    this.#cancelTimer?.()
    this.#cancelTimer = undefined
    for (const waiter of this.#queue.splice(0)) waiter.reject(err)
  }

  get waiting (): number {
    return this.#queue.length
  }

  #refill (): number {
    const rate = this.#opts.rate()
    const now = this.#opts.clock.now()
    const burst = Math.max(this.#opts.minBurst, rate * this.#opts.burstSeconds)
    if (rate === Infinity) this.#tokens = Infinity
    else {
      if (this.#tokens === Infinity) this.#tokens = 0
      this.#tokens = Math.min(burst, this.#tokens + rate * (now - this.#last) / 1000)
    }
    this.#last = now
    return rate
  }

  #tryTake (bytes: number): boolean {
    this.#refill()
    // a frame larger than the burst goes once the bucket is full, leaving a debt the next refills pay
    const burst = Math.max(this.#opts.minBurst, this.#opts.rate() * this.#opts.burstSeconds)
    if (this.#tokens >= Math.min(bytes, burst)) {
      this.#tokens -= bytes
      this.passed += bytes
      return true
    }
    return false
  }

  #drain (): void {
    while (this.#queue.length > 0 && this.#tryTake(this.#queue[0].bytes)) this.#queue.shift()?.resolve()
    if (this.#queue.length > 0) this.#schedule()
  }

  #schedule (): void {
    if (this.#cancelTimer !== undefined) return
    const rate = this.#refill()
    const head = this.#queue[0]
    const burst = Math.max(this.#opts.minBurst, rate * this.#opts.burstSeconds)
    const need = Math.min(head.bytes, burst) - this.#tokens
    const ms = rate <= 0 ? this.#opts.pollMs : Math.min(this.#opts.pollMs, Math.max(1, Math.ceil(need / rate * 1000)))
    this.#cancelTimer = this.#opts.clock.after(ms, () => {
      this.#cancelTimer = undefined
      this.#drain()
    })
  }
}
