import type { ObjectId } from '../../objects/id.js'

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

  /**
   * Up to `count` ids in the order `take` would return them, without taking them. Looks at no
   * more than 8 × `count` entries (cancelled ones stay in place until taken past), so it stays
   * cheap behind a large cancelled backlog; it may then return fewer.
   */
  peek (count: number): ObjectId[] {
    const out: ObjectId[] = []
    let budget = 8 * count
    for (let p = this.#byPriority.length - 1; p >= 0 && out.length < count && budget > 0; p--) {
      const queue = this.#byPriority[p]
      if (queue === undefined) continue
      for (let i = queue.head; i < queue.ids.length && out.length < count && budget-- > 0; i++) {
        if (this.#queued.has(queue.ids[i])) out.push(queue.ids[i])
      }
    }
    return out
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
