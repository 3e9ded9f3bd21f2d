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

/** Monotonic time with real timers: what rates and timeouts use. */
export const systemClock: Clock = {
  now: () => performance.now(),
  after (ms, fn) {
    const timer = setTimeout(fn, ms)
    return () => clearTimeout(timer)
  }
}

/** Wall-clock time (epoch ms) with real timers: what schedules and queues use. */
export const wallClock: Clock = {
  now: () => Date.now(),
  after (ms, fn) {
    const timer = setTimeout(fn, ms)
    return () => clearTimeout(timer)
  }
}

/**
 * A Clock that moves only when told, for tests and simulations: timers fire in due order as time
 * is advanced, so a network of SimulatedLinks runs the same way on an idle or a loaded machine.
 */
export class ManualClock implements Clock {
  #t: number
  #seq = 0
  #timers: Array<{ at: number, seq: number, fn: () => void }> = []

  constructor (start = 0) {
    this.#t = start
  }

  now = (): number => this.#t

  after = (ms: number, fn: () => void): (() => void) => {
    const timer = { at: this.#t + Math.max(0, ms), seq: this.#seq++, fn }
    this.#timers.push(timer)
    return () => { this.#timers = this.#timers.filter((x) => x !== timer) }
  }

  /** timers not yet fired */
  get pending (): number { return this.#timers.length }

  /** Moves to the next timer and fires it; false when none is set. */
  step (): boolean {
    const next = this.#next(Infinity)
    if (next === undefined) return false
    this.advance(next.at - this.#t)
    return true
  }

  /** Moves time forward by `ms`, firing every timer due on the way, synchronously. */
  advance (ms: number): void {
    const end = this.#t + ms
    for (let next = this.#next(end); next !== undefined; next = this.#next(end)) this.#fire(next)
    this.#t = end
  }

  /**
   * Moves time forward by `ms` like `advance`, but lets promise callbacks and I/O callbacks run
   * before each timer (code that awaits a send sets its next timer from a promise callback).
   */
  async advanceAsync (ms: number): Promise<void> {
    const end = this.#t + ms
    for (;;) {
      await settle()
      const next = this.#next(end)
      if (next === undefined) break
      this.#fire(next)
    }
    this.#t = end
    await settle()
  }

  /** Advances in `stepMs` steps until `done()` holds; throws after `limitMs` of simulated time. */
  async runUntil (done: () => boolean, opts: { stepMs?: number, limitMs?: number } = {}): Promise<void> {
    const stepMs = opts.stepMs ?? 1
    const limit = this.#t + (opts.limitMs ?? 60_000)
    await settle()
    while (!done()) {
      if (this.#t >= limit) throw new Error(`ManualClock.runUntil: not done after ${opts.limitMs ?? 60_000} ms of simulated time`)
      await this.advanceAsync(stepMs)
    }
  }

  #next (end: number): { at: number, seq: number, fn: () => void } | undefined {
    let best: { at: number, seq: number, fn: () => void } | undefined
    for (const x of this.#timers) if (x.at <= end && (best === undefined || x.at < best.at || (x.at === best.at && x.seq < best.seq))) best = x
    return best
  }

  #fire (timer: { at: number, fn: () => void }): void {
    this.#timers = this.#timers.filter((x) => x !== timer)
    this.#t = Math.max(this.#t, timer.at)
    timer.fn()
  }
}

/** why: a test's refs live on disk; time must not run on while a file read or write is in flight */
const IO_RESOURCE = /^(FSReq|FileHandle|ZlibWork|Work)/

/**
 * Lets pending callbacks run: at least one turn of the event loop, and more while file-system
 * requests are in flight, so simulated time does not race ahead of a slow disk (which would make
 * simulated timings depend on the machine's load after all). Gives up waiting after 10 s of wall time.
 */
async function settle (): Promise<void> {
  const giveUpAt = performance.now() + 10_000
  do await new Promise<void>((resolve) => setImmediate(resolve))
  while (process.getActiveResourcesInfo().some((name) => IO_RESOURCE.test(name)) && performance.now() < giveUpAt)
}
