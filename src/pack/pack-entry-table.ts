import type { ObjectId } from '../objects/id.js'
import { encodeSortedPackIndex } from './pack-index.js'

const KEY = 32

/**
 * The entries one PackWriter appended, in append (= offset) order: each id as 32 raw bytes, its
 * offset and its entry's crc32, in typed arrays, with an open-addressing table from id to entry.
 * why not Maps keyed by hex id: a 10 GB file's ~150 000 received chunks cost two Map entries,
 * a 64-digit string and two heap numbers each (~26 MiB of heap held for the whole sync); here
 * ~50 bytes an entry, outside the JS heap. why by hand: no maintained package keeps binary keys
 * with numeric columns this way (the same reason as objects/id-table.ts).
 *
 * The ids sorted (for the index) are kept between checkpoints: each checkpoint sorts only what was
 * appended since and merges it in, instead of sorting every id again.
 */
export class PackEntryTable {
  #ids: Buffer
  #offsets: Float64Array
  #crcs: Uint32Array
  /** first 4 bytes of each id, big-endian: most comparisons while sorting end there */
  #prefixes: Uint32Array
  /** entry index + 1 per slot; 0 marks an empty slot */
  #slots: Uint32Array
  #mask: number
  #count = 0
  /** entries [0, #sortedCount) by id */
  #sorted = new Uint32Array(0)
  #sortedCount = 0
  readonly #scratch = Buffer.alloc(KEY)

  constructor (capacity = 256) {
    this.#ids = Buffer.alloc(capacity * KEY)
    this.#offsets = new Float64Array(capacity)
    this.#crcs = new Uint32Array(capacity)
    this.#prefixes = new Uint32Array(capacity)
    let slots = 16
    while (slots < capacity * 2) slots *= 2
    this.#slots = new Uint32Array(slots)
    this.#mask = slots - 1
  }

  get size (): number {
    return this.#count
  }

  has (id: ObjectId): boolean {
    return this.#indexOf(id) >= 0
  }

  /** has, for an id given as its 32 bytes (a sync's walk asks about every chunk: no hex string each) */
  hasKey (key: Buffer): boolean {
    return this.#slots[this.#find(key)] > 0
  }

  offsetOf (id: ObjectId): number | undefined {
    const i = this.#indexOf(id)
    return i < 0 ? undefined : this.#offsets[i]
  }

  crcOf (id: ObjectId): number | undefined {
    const i = this.#indexOf(id)
    return i < 0 ? undefined : this.#crcs[i]
  }

  /** Appends an entry; offsets must grow from one entry to the next (a pack is written in order). Returns false when `id` is here already. */
  add (id: ObjectId, offset: number, crc: number): boolean {
    const key = this.#keyOf(id)
    let slot = this.#find(key)
    if (this.#slots[slot] !== 0) return false
    if (this.#count > 0 && offset <= this.#offsets[this.#count - 1]) throw new RangeError(`pack entry offset ${offset} is not past the last one`)
    if (this.#count === this.#offsets.length) this.#growEntries()
    if ((this.#count + 1) * 2 > this.#slots.length) {
      this.#growSlots()
      slot = this.#find(key)
    }
    const i = this.#count++
    key.copy(this.#ids, i * KEY)
    this.#offsets[i] = offset
    this.#crcs[i] = crc
    this.#prefixes[i] = key.readUInt32BE(0)
    this.#slots[slot] = i + 1
    return true
  }

  /** The offset of the `index`th entry appended */
  offsetAt (index: number): number {
    return this.#offsets[index]
  }

  /** How many entries lie before `end` (entries are in offset order, so they are a prefix). */
  countBefore (end: number): number {
    let lo = 0
    let hi = this.#count
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (this.#offsets[mid] < end) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  /** The pack index (pack-index.ts, version 2) of the first `count` entries, covering `packSize` bytes. */
  encodeIndex (count: number, packSize: number): Buffer {
    const order = this.#sortedPrefix(count)
    return encodeSortedPackIndex(count, packSize, (i, out, at) => { this.#ids.copy(out, at, order[i] * KEY, order[i] * KEY + KEY) }, (i) => this.#offsets[order[i]], (i) => this.#crcs[order[i]])
  }

  /** Entry indices [0, count) sorted by id: the ones appended since the last call sorted, then merged into the sorted rest. */
  #sortedPrefix (count: number): Uint32Array {
    if (count <= this.#sortedCount) {
      // a prefix shorter than one sorted before (not how PackWriter asks): sort it afresh
      if (count < this.#sortedCount) return Uint32Array.from({ length: count }, (_, i) => i).sort((a, b) => this.#compare(a, b))
      return this.#sorted
    }
    const fresh = Uint32Array.from({ length: count - this.#sortedCount }, (_, i) => this.#sortedCount + i).sort((a, b) => this.#compare(a, b))
    const merged = new Uint32Array(count)
    let a = 0
    let b = 0
    let k = 0
    const old = this.#sorted
    while (a < this.#sortedCount && b < fresh.length) merged[k++] = this.#compare(old[a], fresh[b]) <= 0 ? old[a++] : fresh[b++]
    while (a < this.#sortedCount) merged[k++] = old[a++]
    while (b < fresh.length) merged[k++] = fresh[b++]
    this.#sorted = merged
    this.#sortedCount = count
    return merged
  }

  #compare (a: number, b: number): number {
    const pa = this.#prefixes[a]
    const pb = this.#prefixes[b]
    if (pa !== pb) return pa < pb ? -1 : 1
    return this.#ids.compare(this.#ids, b * KEY, b * KEY + KEY, a * KEY, a * KEY + KEY)
  }

  #indexOf (id: ObjectId): number {
    return this.#slots[this.#find(this.#keyOf(id))] - 1
  }

  #keyOf (id: ObjectId): Buffer {
    if (this.#scratch.write(id, 0, KEY, 'hex') !== KEY) throw new RangeError(`not an object id: ${id}`)
    return this.#scratch
  }

  /** The slot holding `key`, or the empty slot where it would go (linear probing; the id's own bytes are uniform, so they are the hash). */
  #find (key: Buffer): number {
    let slot = key.readUInt32LE(0) & this.#mask
    for (;;) {
      const entry = this.#slots[slot]
      if (entry === 0 || this.#ids.compare(key, 0, KEY, (entry - 1) * KEY, entry * KEY) === 0) return slot
      slot = (slot + 1) & this.#mask
    }
  }

  #growEntries (): void {
    const capacity = this.#offsets.length * 2
    const ids = Buffer.alloc(capacity * KEY)
    this.#ids.copy(ids)
    this.#ids = ids
    const offsets = new Float64Array(capacity)
    offsets.set(this.#offsets)
    this.#offsets = offsets
    const crcs = new Uint32Array(capacity)
    crcs.set(this.#crcs)
    this.#crcs = crcs
    const prefixes = new Uint32Array(capacity)
    prefixes.set(this.#prefixes)
    this.#prefixes = prefixes
  }

  #growSlots (): void {
    this.#slots = new Uint32Array(this.#slots.length * 2)
    this.#mask = this.#slots.length - 1
    for (let i = 0; i < this.#count; i++) {
      let slot = this.#ids.readUInt32LE(i * KEY) & this.#mask
      while (this.#slots[slot] !== 0) slot = (slot + 1) & this.#mask
      this.#slots[slot] = i + 1
    }
  }
}
