import type { IndexEntry } from './staging-index.js'

/**
 * Index entries looked up in ascending path order, from one pass over the streamed index
 * (index-stream.ts): `gas add` asks for each file's previous entry in the order it adds them,
 * so it never holds the parsed index (~150 MB of heap at 200 000 entries). Lookups may overlap
 * (the read-ahead asks for several files at once); they are answered one after another.
 */
export class IndexCursor {
  readonly #entries: AsyncIterator<[string, IndexEntry]>
  #current: [string, IndexEntry] | undefined
  #done = false
  #lastAsked: string | undefined
  #chain: Promise<unknown> = Promise.resolve()

  constructor (entries: AsyncIterable<[string, IndexEntry]>) {
    this.#entries = entries[Symbol.asyncIterator]()
  }

  /** The entry at `path`; each path asked must not come before the one asked last. */
  async at (path: string): Promise<IndexEntry | undefined> {
    if (this.#lastAsked !== undefined && path < this.#lastAsked) throw new RangeError(`index looked up out of order: ${path} after ${this.#lastAsked}`)
    this.#lastAsked = path
    const answer = this.#chain.then(async () => await this.#seek(path))
    this.#chain = answer.catch(() => {})
    return await answer
  }

  async #seek (path: string): Promise<IndexEntry | undefined> {
    while (!this.#done && (this.#current === undefined || this.#current[0] < path)) {
      const next = await this.#entries.next()
      if (next.done === true) { this.#done = true; this.#current = undefined } else this.#current = next.value
    }
    return this.#current !== undefined && this.#current[0] === path ? this.#current[1] : undefined
  }

  /** Stops reading the index (its file handle is closed). */
  async close (): Promise<void> {
    await this.#chain
    await this.#entries.return?.()
  }
}
