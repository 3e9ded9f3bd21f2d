import type { ObjectId } from '../objects/id.js'

/**
 * A remote's block requests waiting to be served: highest WANT priority first, first come first
 * served within a priority, duplicates ignored, cancellable (CANCEL) without scanning.
 */
export class ServeQueue {
  /** by priority 0..255; `head` skips what was taken, so a take is O(1) */
  readonly #byPriority: Array<{ ids: ObjectId[], head: number } | undefined> = []
  /** ids still wanted: a cancelled id stays in its array and is skipped when reached */
  readonly #queued = new Set<ObjectId>()

  get size (): number { return this.#queued.size }

  has (id: ObjectId): boolean {
    return this.#queued.has(id)
  }

  /** Queues `id`; false when it is already queued. */
  add (id: ObjectId, priority: number): boolean {
    if (this.#queued.has(id)) return false
    this.#queued.add(id)
    const queue = (this.#byPriority[priority] ??= { ids: [], head: 0 })
    queue.ids.push(id)
    return true
  }

  cancel (id: ObjectId): boolean {
    return this.#queued.delete(id)
  }

  /** The next id to serve, or undefined when nothing is queued. */
  take (): ObjectId | undefined {
    for (let p = this.#byPriority.length - 1; p >= 0; p--) {
      const queue = this.#byPriority[p]
      if (queue === undefined) continue
      while (queue.head < queue.ids.length) {
        const id = queue.ids[queue.head++]
        if (this.#queued.delete(id)) return id
      }
      this.#byPriority[p] = undefined
    }
    return undefined
  }

  clear (): void {
    this.#queued.clear()
    this.#byPriority.length = 0
  }
}
