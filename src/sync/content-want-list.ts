import type { ObjectId } from '../objects/id.js'

const KEY = 32

/** One content want as the walk lists it (want-set.ts WantedObject, kind 'content'). */
export interface ContentWant { id: ObjectId, kind: 'content', priority: number, size?: number, path?: string, asset?: ObjectId }

/** The asset (or file manifest) a run of content wants belongs to, and its path. */
interface Owner { path?: string, asset?: ObjectId }

/**
 * A want-set's content (missing chunks), in the walk's order, held compactly: each id as 32 raw
 * bytes, its size and priority in typed arrays, and its asset and path once per file, not per
 * chunk. why: as WantedObjects, a 10 GB file's ~150 000 wants cost an object and a 64-digit
 * string each (~150 bytes, ~22 MiB of heap held all through the fetch); here ~41 bytes, outside the
 * heap. Wants are made as objects only when asked for, a slice at a time (content-slices.ts).
 */
export class ContentWantList implements Iterable<ContentWant> {
  #ids = Buffer.alloc(64 * KEY)
  #sizes = new Float64Array(64)
  #priorities = new Uint8Array(64)
  #owners = new Uint32Array(64)
  readonly #ownerList: Owner[] = []
  #count = 0

  get length (): number {
    return this.#count
  }

  /** Appends a want; `size` undefined is kept as -1. */
  push (want: Omit<ContentWant, 'kind'>): void {
    if (this.#count === this.#sizes.length) this.#grow()
    if (this.#ids.write(want.id, this.#count * KEY, KEY, 'hex') !== KEY || want.id.length !== KEY * 2) throw new RangeError(`not an object id: ${want.id}`)
    this.#append(want)
  }

  /** push, for an id given as its 32 bytes (a sync's walk reads them so from the file manifest) */
  pushKey (key: Uint8Array, want: Omit<ContentWant, 'kind' | 'id'>): void {
    if (key.length !== KEY) throw new RangeError(`not an object id: ${key.length} bytes`)
    if (this.#count === this.#sizes.length) this.#grow()
    this.#ids.set(key, this.#count * KEY)
    this.#append(want)
  }

  /** the rest of want #count, its id written */
  #append (want: Omit<ContentWant, 'kind' | 'id'>): void {
    const i = this.#count
    if (!Number.isInteger(want.priority) || want.priority < 0 || want.priority > 255) throw new RangeError(`priority ${want.priority} is not 0..255`)
    this.#sizes[i] = want.size ?? -1
    this.#priorities[i] = want.priority
    const last = this.#ownerList[this.#ownerList.length - 1]
    if (last === undefined || last.path !== want.path || last.asset !== want.asset) this.#ownerList.push({ path: want.path, asset: want.asset })
    this.#owners[i] = this.#ownerList.length - 1
    this.#count++
  }

  idAt (i: number): ObjectId {
    return this.#ids.toString('hex', i * KEY, i * KEY + KEY)
  }

  priorityAt (i: number): number {
    return this.#priorities[i]
  }

  /** The size of want i, or undefined when not known. */
  sizeAt (i: number): number | undefined {
    return this.#sizes[i] < 0 ? undefined : this.#sizes[i]
  }

  /** Want i as an object, shaped as the walk made it. */
  at (i: number): ContentWant {
    const owner = this.#ownerList[this.#owners[i]]
    const want: ContentWant = { id: this.idAt(i), kind: 'content', priority: this.#priorities[i] }
    const size = this.sizeAt(i)
    if (size !== undefined) want.size = size
    if (owner.path !== undefined) want.path = owner.path
    if (owner.asset !== undefined) want.asset = owner.asset
    return want
  }

  * [Symbol.iterator] (): Iterator<ContentWant> {
    for (let i = 0; i < this.#count; i++) yield this.at(i)
  }

  toArray (): ContentWant[] {
    return [...this]
  }

  filter (keep: (want: ContentWant) => boolean): ContentWant[] {
    const kept: ContentWant[] = []
    for (const want of this) if (keep(want)) kept.push(want)
    return kept
  }

  /** The first want of each run of one asset's wants, in order: what a caller planning per file needs, without a want per chunk. */
  firstOfEachOwner (): ContentWant[] {
    const firsts: ContentWant[] = []
    for (let i = 0; i < this.#count; i++) if (i === 0 || this.#owners[i] !== this.#owners[i - 1]) firsts.push(this.at(i))
    return firsts
  }

  /** Indices of the wants by priority, highest first; within one priority in list order (a counting sort: priorities are a byte). */
  byPriority (): Uint32Array {
    // next[k]: where the next want of priority 255 - k goes
    const next = new Uint32Array(256)
    for (let i = 0; i < this.#count; i++) next[255 - this.#priorities[i]]++
    let sum = 0
    for (let k = 0; k < 256; k++) {
      const count = next[k]
      next[k] = sum
      sum += count
    }
    const order = new Uint32Array(this.#count)
    for (let i = 0; i < this.#count; i++) order[next[255 - this.#priorities[i]]++] = i
    return order
  }

  #grow (): void {
    const capacity = this.#sizes.length * 2
    const ids = Buffer.alloc(capacity * KEY)
    this.#ids.copy(ids)
    this.#ids = ids
    const sizes = new Float64Array(capacity)
    sizes.set(this.#sizes)
    this.#sizes = sizes
    const priorities = new Uint8Array(capacity)
    priorities.set(this.#priorities)
    this.#priorities = priorities
    const owners = new Uint32Array(capacity)
    owners.set(this.#owners)
    this.#owners = owners
  }
}
