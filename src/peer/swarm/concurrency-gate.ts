/** Runs at most `limit` tasks at once, the others in turn; `idle` resolves once none runs or waits. */
export class ConcurrencyGate {
  readonly limit: number
  #running = 0
  #waiting: Array<() => void> = []
  #idle: Promise<void> = Promise.resolve()
  #resolveIdle: (() => void) | undefined

  constructor (limit: number) {
    this.limit = limit
  }

  get idle (): Promise<void> { return this.#idle }

  async run (task: () => Promise<void>): Promise<void> {
    if (this.#running === 0) this.#idle = new Promise((resolve) => { this.#resolveIdle = resolve })
    this.#running++
    if (this.#running > this.limit) await new Promise<void>((resolve) => this.#waiting.push(resolve))
    try {
      await task()
    } finally {
      this.#running--
      this.#waiting.shift()?.()
      if (this.#running === 0) this.#resolveIdle?.()
    }
  }
}
