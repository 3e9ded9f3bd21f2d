import type { ObjectId } from './id.js'

const KEY = 32
const EMPTY = 0

/**
 * Object ids (or other SHA-256 keys) with a small value each (0..254), held as raw 32-byte keys in
 * one open-addressing table: ~70 bytes an entry at the worst load, where a Set<string> of hex ids
 * costs ~120 and keeps every id string alive. why by hand: a walk of a 200 000-asset project
 * marks several ids per asset, and no maintained package holds binary keys this way.
 * The key's own first bytes are the hash: SHA-256 output is uniform already.
 */
export class IdTable {
  #keys: Buffer
  /** value + 1 per slot; 0 marks an empty slot */
  #values: Uint8Array
  #mask: number
  #size = 0
  readonly #scratch = Buffer.alloc(KEY)

  constructor (capacity = 1024) {
    let slots = 16
    while (slots < capacity * 2) slots *= 2
    this.#keys = Buffer.alloc(slots * KEY)
    this.#values = new Uint8Array(slots)
    this.#mask = slots - 1
  }

  get size (): number {
    return this.#size
  }

  has (id: ObjectId): boolean {
    return this.get(id) !== undefined
  }

  /** The value stored for `id`, undefined when absent. */
  get (id: ObjectId): number | undefined {
    return this.getKey(this.#keyOf(id))
  }

  /** Stores `value` (0..254) for `id`; true when `id` was not here before. */
  set (id: ObjectId, value = 0): boolean {
    return this.setKey(this.#keyOf(id), value)
  }

  /** Adds `id`: true when it was not here before (as a Set's add-and-check). */
  add (id: ObjectId): boolean {
    return this.get(id) === undefined ? this.set(id) : false
  }

  getKey (key: Buffer): number | undefined {
    const slot = this.#find(key)
    return this.#values[slot] === EMPTY ? undefined : this.#values[slot] - 1
  }

  setKey (key: Buffer, value = 0): boolean {
    if (!Number.isInteger(value) || value < 0 || value > 254) throw new RangeError(`IdTable values are 0..254, not ${value}`)
    let slot = this.#find(key)
    const fresh = this.#values[slot] === EMPTY
    if (fresh) {
      if ((this.#size + 1) * 2 > this.#values.length) {
        this.#resize(this.#values.length * 2)
        slot = this.#find(key)
      }
      // why set and not key.copy: Buffer#copy's argument checks outweigh a 32-byte copy (18 of the 83 ms a 1 GiB file's walk took)
      this.#keys.set(key.length === KEY ? key : key.subarray(0, KEY), slot * KEY)
      this.#size++
    }
    this.#values[slot] = value + 1
    return fresh
  }

  /**
   * Makes room for `count` more keys at once. why: a walk that lists a 1 GiB file's 16 000 chunks
   * otherwise doubled the table six times on the way, rehashing every key each time (~25 ms).
   */
  reserve (count: number): void {
    let slots = this.#values.length
    while ((this.#size + count) * 2 > slots) slots *= 2
    if (slots > this.#values.length) this.#resize(slots)
  }

  #keyOf (id: ObjectId): Buffer {
    if (this.#scratch.write(id, 0, KEY, 'hex') !== KEY) throw new RangeError(`not an object id: ${id}`)
    return this.#scratch
  }

  /** The slot holding `key`, or the empty slot where it would go (linear probing). */
  #find (key: Buffer): number {
    let slot = key.readUInt32LE(0) & this.#mask
    for (;;) {
      if (this.#values[slot] === EMPTY || this.#keys.compare(key, 0, KEY, slot * KEY, slot * KEY + KEY) === 0) return slot
      slot = (slot + 1) & this.#mask
    }
  }

  /** Rehashes into `slots` slots. The keys are distinct, so each goes to the first empty slot from its hash: no key is compared nor made a view of. */
  #resize (slots: number): void {
    const oldKeys = this.#keys
    const oldValues = this.#values
    this.#keys = Buffer.alloc(slots * KEY)
    this.#values = new Uint8Array(slots)
    this.#mask = slots - 1
    // both key arrays start their own ArrayBuffer (Buffer.alloc): copied a word at a time
    const from = new Uint32Array(oldKeys.buffer, oldKeys.byteOffset, oldKeys.length / 4)
    const to = new Uint32Array(this.#keys.buffer, this.#keys.byteOffset, this.#keys.length / 4)
    for (let i = 0; i < oldValues.length; i++) {
      if (oldValues[i] === EMPTY) continue
      let slot = oldKeys.readUInt32LE(i * KEY) & this.#mask
      while (this.#values[slot] !== EMPTY) slot = (slot + 1) & this.#mask
      for (let w = 0; w < KEY / 4; w++) to[slot * (KEY / 4) + w] = from[i * (KEY / 4) + w]
      this.#values[slot] = oldValues[i]
    }
  }
}
