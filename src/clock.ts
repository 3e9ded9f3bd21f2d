/**
 * Time, injected: every layer that waits or stamps takes a Clock, so tests run a simulated week of
 * schedule (or a slow link) in milliseconds with ManualClock.
 */
export interface Clock {
  /** milliseconds; the wall clock (epoch) for schedules, any monotonic origin for rates */
  now: () => number
  /** runs `fn` after `ms`; returns a cancel function */
  after: (ms: number, fn: () => void) => () => void
}

/** Wall-clock time (epoch ms) with real timers: what schedules and queues use. */
export const wallClock: Clock = {
  now: () => Date.now(),
  after (ms, fn) {
    const timer = setTimeout(fn, ms)
    return () => clearTimeout(timer)
  }
}

/** A clock that moves only when told: `advance` runs every timer that falls due, in order. */
export class ManualClock implements Clock {
  #now: number
  #timers: Array<{ at: number, seq: number, fn: () => void }> = []
  #seq = 0

  constructor (start = 0) {
    this.#now = start
  }

  now (): number {
    return this.#now
  }

  after (ms: number, fn: () => void): () => void {
    const timer = { at: this.#now + Math.max(0, ms), seq: this.#seq++, fn }
    this.#timers.push(timer)
    return () => { this.#timers = this.#timers.filter((t) => t !== timer) }
  }

  /** Moves time forward by `ms`, firing due timers (and timers they set) at their own instants. */
  advance (ms: number): void {
    const end = this.#now + ms
    for (;;) {
      const next = this.#timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at || a.seq - b.seq)[0]
      if (next === undefined) break
      this.#timers = this.#timers.filter((t) => t !== next)
      this.#now = Math.max(this.#now, next.at)
      next.fn()
    }
    this.#now = end
  }

  /** Moves to the next timer and fires it; false when none is set. */
  step (): boolean {
    const next = [...this.#timers].sort((a, b) => a.at - b.at || a.seq - b.seq)[0]
    if (next === undefined) return false
    this.advance(next.at - this.#now)
    return true
  }

  get pendingTimers (): number {
    return this.#timers.length
  }
}
