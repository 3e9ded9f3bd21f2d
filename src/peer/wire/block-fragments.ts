import { GasError } from '../../errors.js'
import { BufferPool } from '../../objects/buffer-pool.js'
import { copyBytes } from '../../objects/copy-bytes.js'
import { ID_BYTES } from './frame.js'
import type { BlockMessage } from './messages.js'
import { MAX_FRAME } from '../transport/transport.js'

/** <version u8><message id u8><id 32><objectType u8><encoding u8><rawLength u32><totalLength u32><offset u32> */
export const BLOCK_HEADER_BYTES = 2 + ID_BYTES + 1 + 1 + 4 + 4 + 4
/** payload bytes per BLOCK frame, so that every fragment is one full MAX_FRAME frame */
export const BLOCK_FRAGMENT_BYTES = MAX_FRAME - BLOCK_HEADER_BYTES
/** why: fragments are buffered until the object is whole; a malicious peer announcing huge totalLengths must not fill memory */
export const MAX_PENDING_BLOCK_BYTES = 64 * 1024 * 1024
/**
 * why: an object at least 1/64 of its frame's buffer is used in place: a LARGE_FRAME frame of whole
 * chunks (16 KiB and up) is then never copied, and a tiny object pins at most 64x its size until verified
 */
const IN_PLACE_FRACTION = 64
/** why: ids we cancelled are remembered only to discard the fragments still in flight; an honest window is far smaller */
export const MAX_CANCELLED_IDS = 4096

/**
 * Cuts one (encoded) object into BLOCK messages of at most one frame each, in offset order.
 * `rawLength` is the decoded length (default: `bytes.byteLength`, right for raw objects).
 * The session packs fragments of several objects per frame instead (see `FramePacker`).
 */
export function fragmentBlock (id: string, objectType: number, encoding: number, bytes: Uint8Array, rawLength = bytes.byteLength): BlockMessage[] {
  const totalLength = bytes.byteLength
  if (totalLength === 0) return [{ type: 'BLOCK', id, objectType, encoding, rawLength, totalLength, offset: 0, bytes }]
  const out: BlockMessage[] = []
  for (let offset = 0; offset < totalLength; offset += BLOCK_FRAGMENT_BYTES) {
    out.push({ type: 'BLOCK', id, objectType, encoding, rawLength, totalLength, offset, bytes: bytes.subarray(offset, offset + BLOCK_FRAGMENT_BYTES) })
  }
  return out
}

export interface AssembledObject {
  id: string
  objectType: number
  encoding: number
  rawLength: number
  bytes: Uint8Array
  /** set when `bytes` is a pooled buffer: call once nothing reads `bytes` any more */
  release?: () => void
}

interface Pending {
  objectType: number
  encoding: number
  rawLength: number
  buffer: Uint8Array
  received: number
  /** received [start, end) ranges, to refuse overlaps */
  ranges: Array<[number, number]>
}

/**
 * Reassembles BLOCK fragments per object id, in any order. Refuses fragments that disagree with
 * the first one (totalLength, objectType, encoding, rawLength) or overlap what has arrived (E_PROTOCOL), and
 * refuses new objects once `maxPendingBytes` are buffered. It does not verify the id: the caller
 * hashes the assembled bytes before trusting them.
 */
export class BlockAssembler {
  readonly maxPendingBytes: number
  #pending = new Map<string, Pending>()
  #pendingBytes = 0
  /** ids we sent CANCEL for: their late fragments are stale until a new transfer starts at offset 0 */
  readonly #cancelled = new Set<string>()
  readonly #pool = new BufferPool()

  constructor (opts: { maxPendingBytes?: number } = {}) {
    this.maxPendingBytes = opts.maxPendingBytes ?? MAX_PENDING_BLOCK_BYTES
  }

  /** bytes reserved for incomplete objects */
  get pendingBytes (): number { return this.#pendingBytes }
  get pendingIds (): string[] { return [...this.#pending.keys()] }

  /** Adds one fragment; returns the object once its last byte has arrived. */
  add (msg: BlockMessage): AssembledObject | undefined {
    const { id, totalLength, offset } = msg
    const end = offset + msg.bytes.byteLength
    if (end > totalLength) throw GasError.frameLength(`BLOCK ${id} fragment ${offset}..${end} runs past totalLength ${totalLength}`)
    let entry = this.#pending.get(id)
    if (this.#cancelled.has(id)) {
      // why: the sender serves an object's fragments in offset order and stops at our CANCEL, so
      // fragments after it are the old transfer's tail (skipped) and offset 0 starts a new one
      if (offset !== 0 && entry === undefined) return undefined
      if (offset === 0 && entry !== undefined) {
        this.#drop(id)
        entry = undefined
      }
    }
    if (entry === undefined) {
      if (offset === 0 && end === totalLength) {
        this.#cancelled.delete(id)
        // why: transports hand each received frame over for good, so an object that came whole is
        // used in place; only a small one is copied, since its view would keep a frame (up to
        // LARGE_FRAME) alive for a few bytes (a true copy: Buffer#slice would be another view)
        const bytes = msg.bytes.byteLength * IN_PLACE_FRACTION >= msg.bytes.buffer.byteLength ? msg.bytes : new Uint8Array(msg.bytes)
        return { id, objectType: msg.objectType, encoding: msg.encoding, rawLength: msg.rawLength, bytes }
      }
      if (this.#pendingBytes + totalLength > this.maxPendingBytes) {
        throw GasError.protocol(`BLOCK ${id} of ${totalLength} bytes would exceed ${this.maxPendingBytes} pending bytes`, { id, totalLength, pendingBytes: this.#pendingBytes })
      }
      entry = { objectType: msg.objectType, encoding: msg.encoding, rawLength: msg.rawLength, buffer: this.#pool.take(totalLength), received: 0, ranges: [] }
      this.#pending.set(id, entry)
      this.#pendingBytes += totalLength
    } else {
      if (entry.buffer.byteLength !== totalLength) throw this.#reject(id, `totalLength ${totalLength} disagrees with ${entry.buffer.byteLength}`)
      if (entry.objectType !== msg.objectType || entry.encoding !== msg.encoding || entry.rawLength !== msg.rawLength) throw this.#reject(id, 'objectType/encoding/rawLength disagree with the first fragment')
      for (const [start, stop] of entry.ranges) {
        if (offset < stop && start < end) throw this.#reject(id, `fragment ${offset}..${end} overlaps ${start}..${stop}`)
      }
    }
    copyBytes(entry.buffer, offset, msg.bytes)
    entry.ranges.push([offset, end])
    entry.received += end - offset
    if (entry.received < totalLength) return undefined
    this.#cancelled.delete(id)
    this.#pending.delete(id)
    this.#pendingBytes -= totalLength
    const buffer = entry.buffer
    return { id, objectType: entry.objectType, encoding: entry.encoding, rawLength: entry.rawLength, bytes: buffer, release: () => this.#pool.give(buffer) }
  }

  /** Forgets a partial object (peer lost, …). */
  drop (id: string): void {
    this.#drop(id)
  }

  /**
   * We sent CANCEL for `id`: forgets its partial bytes (they stop counting against the cap) and
   * skips the fragments the sender had already sent, so asking again starts clean.
   */
  cancel (id: string): void {
    this.#drop(id)
    if (this.#cancelled.size >= MAX_CANCELLED_IDS) {
      const oldest = this.#cancelled.values().next().value
      if (oldest !== undefined) this.#cancelled.delete(oldest)
    }
    this.#cancelled.add(id)
  }

  clear (): void {
    this.#cancelled.clear()
    for (const entry of this.#pending.values()) this.#pool.give(entry.buffer)
    this.#pending.clear()
    this.#pendingBytes = 0
  }

  #drop (id: string): void {
    const entry = this.#pending.get(id)
    if (entry === undefined) return
    this.#pending.delete(id)
    this.#pendingBytes -= entry.buffer.byteLength
    this.#pool.give(entry.buffer)
  }

  #reject (id: string, why: string): GasError {
    // why: a peer that sent inconsistent fragments cannot be trusted to finish this object
    this.#drop(id)
    return GasError.protocol(`BLOCK ${id}: ${why}`, { id })
  }
}
