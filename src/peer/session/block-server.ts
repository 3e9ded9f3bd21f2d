import { isGasError } from '../../errors.js'
import { LendingPool } from '../../pack/lending-pool.js'
import { objectTypeCode, type ObjectId, type ObjectType } from '../../objects/id.js'
import type { EncodedObject, ObjectStore } from '../../objects/store.js'
import { FramePacker, type PackedFrame } from '../wire/frame-packer.js'
import type { PeerLedger } from './ledger.js'
import { MAX_IDS_PER_MESSAGE, type Message } from '../wire/messages.js'
import { ServeQueue } from './serve-queue.js'
import { SERVE_READ_AHEAD, type ServeVerdict } from './session-options.js'
import { MAX_FRAME, type Transport } from '../transport/transport.js'

/** a store read: the object, undefined when not held, or why it could not be read */
type Read = EncodedObject | undefined | Error

/** requests answered "not here" or refused, sent in batches */
interface Unserved { missing: ObjectId[], denied: ObjectId[] }

export interface BlockServerOptions {
  store: ObjectStore
  transport: Transport
  ledger: PeerLedger
  /** sends a control message through the session */
  send: (msg: Message) => Promise<void>
  /** tells the remote we will not send these: not held (no reason) or refused (the reason) */
  dontHave: (ids: ObjectId[], reason?: ServeVerdict) => Promise<void>
  /** whether the session is still open */
  open: () => boolean
  /** the ACL's verdict for the remote on this object (see SessionOptions.mayServe); a verdict at hand comes without a promise */
  mayServe: (id: ObjectId, type: ObjectType) => boolean | ServeVerdict | Promise<boolean | ServeVerdict>
  /** paces requests we cannot serve (FloodGuard.misses) */
  misses?: { trySpend: (count: number) => boolean, spend: (count: number) => Promise<void> }
  /** the largest frame to send (default MAX_FRAME); asked when serving starts, once the remote's HELLO is known */
  maxFrame?: () => number
}

/**
 * The serving half of a session: the remote's queued block requests, served one object at a time,
 * highest priority first, with the transport's backpressure. Fragments of consecutive objects
 * share frames (`FramePacker`); a part-filled frame leaves as soon as the queue is empty, so a lone
 * small object is not held back. Throws what the session must end with.
 */
export class BlockServer {
  readonly queue = new ServeQueue()
  readonly #packer = new FramePacker()
  readonly #opts: BlockServerOptions
  #scratchFrame: Uint8Array | undefined
  /** store reads for serving land in these buffers; one goes back once its last fragment is encoded into a frame */
  readonly #readPool = new LendingPool()
  #readsInPacker: Uint8Array[] = []
  /** store reads started for queued objects before their turn: the object itself when the store had it in memory */
  readonly #prefetched = new Map<ObjectId, Read | Promise<Read>>()
  #current: ObjectId | undefined
  #currentCancelled = false
  #serving = false

  constructor (opts: BlockServerOptions) {
    this.#opts = opts
  }

  /** CANCEL: drops queued requests; the object being packed stops at its next fragment. */
  cancel (ids: ObjectId[]): void {
    for (const id of ids) {
      this.queue.cancel(id)
      if (this.#current === id) this.#currentCancelled = true
      this.#dropPrefetched(id)
    }
  }

  clear (): void {
    this.queue.clear()
    this.#packer.clear()
    for (const id of [...this.#prefetched.keys()]) this.#dropPrefetched(id)
    for (const bytes of this.#readsInPacker.splice(0)) this.#readPool.give(bytes)
  }

  /** Forgets a read ahead; its buffer goes back once read (a view of a pack's window keeps that window from reuse until then). */
  #dropPrefetched (id: ObjectId): void {
    const read = this.#prefetched.get(id)
    if (read === undefined) return
    this.#prefetched.delete(id)
    if (read instanceof Promise) void read.then((object) => this.#giveRead(object))
    else this.#giveRead(read)
  }

  #giveRead (object: Read): void {
    if (object !== undefined && !(object instanceof Error)) this.#readPool.give(object.bytes)
  }

  /** Serves until the queue is empty; a second call while serving returns at once (the first one picks new requests up). */
  async serve (): Promise<void> {
    if (this.#serving) return
    this.#serving = true
    this.#packer.setMaxFrame(this.#opts.maxFrame?.() ?? MAX_FRAME)
    const { open } = this.#opts
    const unserved: Unserved = { missing: [], denied: [] }
    try {
      while (open()) {
        this.#readAhead()
        const id = this.queue.take()
        if (id === undefined) {
          if (this.#packer.empty && unserved.missing.length === 0 && unserved.denied.length === 0) break
          await this.#sendPacked()
          await this.#sendUnserved(unserved)
          // a WANT that arrived during these sends is served by this loop
          continue
        }
        // out of the map before the wait: a CANCEL meanwhile must not give its buffer back while this loop still uses it
        let result = this.#prefetched.get(id)
        this.#prefetched.delete(id)
        // why no await for an object at hand: a promise and a turn of the event loop per object (16 000 per GiB)
        if (result === undefined) result = this.#read(id)
        if (result instanceof Promise) result = await result
        // why: a corrupt local copy must not be served; the remote asks someone else
        if (result instanceof Error && !isGasError(result, 'E_CORRUPT_OBJECT')) throw result
        const object = result instanceof Error ? undefined : result
        let verdict = object === undefined ? false : this.#opts.mayServe(id, object.type)
        // why: the verdict is at hand for almost every object; an await per object was a microtask turn and a promise each (16 000 per GiB)
        if (verdict instanceof Promise) verdict = await verdict
        if (verdict !== true || object === undefined) {
          if (object !== undefined) this.#readPool.give(object.bytes)
          await this.#unserved(id, verdict === false || verdict === true ? undefined : verdict, unserved)
          continue
        }
        const packing = this.#pack(id, object)
        if (packing !== undefined) await packing
      }
    } finally {
      this.#current = undefined
      this.#serving = false
    }
  }

  /**
   * Starts store reads of the next few objects. why: they are read while this one is sent; one at
   * a time, a serving peer spent ~1 ms per metadata object waiting on its own disk (4000 in a first
   * sync of 2000 assets). Reading ahead takes nothing off the queue, so a later higher priority still goes first.
   */
  #readAhead (): void {
    // why topped up in batches: a look at the queue per object served was an array and eight lookups each
    if (this.#prefetched.size > SERVE_READ_AHEAD) return
    for (const next of this.queue.peek(2 * SERVE_READ_AHEAD)) {
      if (this.#prefetched.size >= 2 * SERVE_READ_AHEAD) break
      if (!this.#prefetched.has(next)) this.#prefetched.set(next, this.#read(next))
    }
  }

  /** The object as stored, or why it could not be read: at once when the store has it in memory. why not async: a wrapper promise per object fewer */
  #read (id: ObjectId): Read | Promise<Read> {
    const { store } = this.#opts
    if (store.getEncodedNow !== undefined) {
      try {
        const now = store.getEncodedNow(id, this.#readPool)
        if (now !== undefined) return now
      } catch (err) {
        return err as Error
      }
    }
    return store.getEncoded(id, this.#readPool).catch((err: Error) => err)
  }

  /** An object we do not hold or may not serve: answered in batches, and paced (a flood of bogus ids is all misses). */
  async #unserved (id: ObjectId, reason: ServeVerdict | undefined, unserved: Unserved): Promise<void> {
    // why pacing here: it bounds what a flood costs the other sessions
    const misses = this.#opts.misses
    if (misses !== undefined && !misses.trySpend(1)) {
      // what was answered so far goes out before we wait, so an honest remote is not kept waiting for it
      await this.#sendPacked()
      await this.#sendUnserved(unserved)
      await misses.spend(1)
    }
    const list = reason === undefined ? unserved.missing : unserved.denied
    list.push(id)
    if (list.length >= MAX_IDS_PER_MESSAGE) await this.#opts.dontHave(list.splice(0), reason)
  }

  async #sendUnserved ({ missing, denied }: Unserved): Promise<void> {
    const { open, dontHave } = this.#opts
    if (missing.length > 0 && open()) await dontHave(missing.splice(0))
    if (denied.length > 0 && open()) await dontHave(denied.splice(0), 'access-denied')
  }

  /**
   * Adds the object's fragments to frames, sending each frame filled; undefined when nothing had
   * to wait. why: most chunks fit the frame being filled, and an await per chunk was a promise
   * and a microtask turn each
   */
  #pack (id: ObjectId, object: EncodedObject): Promise<void> | undefined {
    const totalLength = object.bytes.byteLength
    if (this.#packer.full(totalLength) || this.#packer.room < totalLength) return this.#packInPieces(id, object)
    this.#packer.add({ type: 'BLOCK', id, objectType: objectTypeCode(object.type), encoding: object.encoding, rawLength: object.rawLength, totalLength, offset: 0, bytes: object.bytes })
    this.#readsInPacker.push(object.bytes)
    // why: send a full frame now rather than after the next object's store read
    if (this.#packer.full(Infinity)) return this.#sendPacked()
    return undefined
  }

  /** #pack of an object that does not fit the frame being filled: its fragments go in this frame and the next ones */
  async #packInPieces (id: ObjectId, object: EncodedObject): Promise<void> {
    this.#current = id
    this.#currentCancelled = false
    const objectType = objectTypeCode(object.type)
    const { encoding, rawLength, bytes } = object
    const totalLength = bytes.byteLength
    let offset = 0
    do {
      if (this.#packer.full(totalLength - offset)) await this.#sendPacked()
      if (this.#currentCancelled || !this.#opts.open()) break
      const end = Math.min(totalLength, offset + this.#packer.room)
      this.#packer.add({ type: 'BLOCK', id, objectType, encoding, rawLength, totalLength, offset, bytes: bytes.subarray(offset, end) })
      offset = end
    } while (offset < totalLength)
    this.#readsInPacker.push(bytes)
    // why: send a full frame now rather than after the next object's store read
    if (this.#packer.full(Infinity)) await this.#sendPacked()
    this.#current = undefined
  }

  /** Sends the packed frame, if any; the ledger counts each fragment's payload once it is sent. */
  async #sendPacked (): Promise<void> {
    const { transport, ledger } = this.#opts
    if (transport.sendInto !== undefined) return await this.#sendPackedInto(transport.sendInto.bind(transport))
    // why: a transport that copies on send gets every frame in the same scratch buffer (no 64 KiB garbage per frame)
    const maxFrame = this.#packer.maxFrame
    if (transport.copiesFrames === true && this.#scratchFrame?.byteLength !== maxFrame) this.#scratchFrame = new Uint8Array(maxFrame)
    const packed = this.#packer.take(transport.copiesFrames === true ? this.#scratchFrame : undefined)
    // every fragment the packer held is now copied into the frame
    for (const bytes of this.#readsInPacker) this.#readPool.give(bytes)
    this.#readsInPacker = []
    if (packed === undefined) return
    ledger.frameSent(packed.frame.byteLength)
    await transport.send(packed.frame)
    for (const block of packed.blocks) ledger.payloadSent(block.bytes.byteLength, block.offset + block.bytes.byteLength === block.totalLength)
  }

  /** Gives back the store reads whose fragments are all encoded into a frame. why a method: a closure per frame was a new function V8 deoptimized its inlined callers for */
  #giveReads (): void {
    for (const bytes of this.#readsInPacker) this.#readPool.give(bytes)
    this.#readsInPacker = []
  }

  /** #sendPacked for a transport that takes the frame encoded into its own output buffer (one copy of each byte fewer) */
  async #sendPackedInto (sendInto: NonNullable<Transport['sendInto']>): Promise<void> {
    const { ledger } = this.#opts
    let packed: PackedFrame | undefined
    if (this.#packer.empty) return this.#giveReads()
    // why encoded in place: a copy of every frame less on the way to the socket (the bytes were read into the pool, encoded here, then copied again by send())
    await sendInto(this.#packer.frameBytes, (into) => {
      packed = this.#packer.take(into)!
      // every fragment the packer held is now copied into the frame
      this.#giveReads()
      ledger.frameSent(packed.frame.byteLength)
      return packed.frame.byteLength
    })
    if (packed === undefined) return
    for (const block of packed.blocks) ledger.payloadSent(block.bytes.byteLength, block.offset + block.bytes.byteLength === block.totalLength)
  }
}
