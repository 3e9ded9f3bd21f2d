import { GasError } from '../../errors.js'
import { objectTypeFromCode, type ObjectId } from '../../objects/id.js'
import type { EncodedObject } from '../../objects/store.js'
import {
  BlockAssembler, FRAME_VERSION, decodeMessage, isKnownMessageId,
  type BlockMessage, type Capability, type DontHaveReason, type GoodbyeMessage, type HelloMessage, type Message, type WantMode
} from '../wire/messages.js'
import { MAX_FRAME, type FrameLease, type Transport } from '../transport/transport.js'
import type { FloodGuard } from './flood-guard.js'
import type { PeerLedger } from './ledger.js'
import { MAX_ADVERTISED_REFS, MAX_EARLY_FRAMES, type ReceivedBlock, type RefEntry } from './session-options.js'
import { asGasError } from './session-failure.js'

/** What the incoming half needs of its session: its state, the handshake, and the serving side. */
export interface IncomingHost {
  readonly transport: Transport
  readonly ledger: PeerLedger
  readonly guard: FloodGuard
  /** the remote's name, as it introduced itself */
  name: () => string
  state: () => 'handshake' | 'open' | 'closed'
  /** we refused the remote: nothing more is read */
  refused: () => boolean
  remoteCan: (capability: Capability) => boolean
  /** a HELLO, in the order they arrived (each waits for the one before) */
  hello: (hello: HelloMessage) => Promise<void>
  goodbye: (msg: GoodbyeMessage) => void
  want: (ids: ObjectId[], mode: WantMode, priority: number) => void
  /** CANCEL of what we serve */
  cancel: (ids: ObjectId[]) => void
  close: (err?: GasError) => void
}

/**
 * The incoming half of a session: each frame checked (size, known message id, decoding), HELLOs
 * chained to the handshake, frames that arrive before it finished held (up to MAX_EARLY_FRAMES)
 * and dispatched once it did, split advertisements gathered until END_OF_REFS, BLOCK fragments
 * assembled into whole objects, and the listeners told. Anything malformed or out of order closes
 * the session with a typed error.
 */
export class IncomingFrames {
  /** the remote's last complete advertisement */
  remoteRefs: RefEntry[] | undefined
  /** the remote said it wants nothing more */
  remoteDone = false
  /** frames with a message id this build does not know, skipped */
  unknownMessages = 0
  /** the remote's last BUSY: members it takes before us */
  remoteBusy: number | undefined
  readonly listeners = {
    have: [] as Array<(ids: ObjectId[]) => void>,
    dontHave: [] as Array<(ids: ObjectId[], reason?: DontHaveReason) => void>,
    block: [] as Array<(block: ReceivedBlock) => void>,
    refs: [] as Array<(refs: RefEntry[]) => void>,
    done: [] as Array<() => void>,
    busy: [] as Array<(ahead: number) => void>,
    unknown: [] as Array<(messageId: number) => void>
  }

  readonly #host: IncomingHost
  #early: Array<Exclude<Message, HelloMessage>> = []
  #helloChain: Promise<void> = Promise.resolve()
  /** set as soon as a HELLO frame arrives, before it is processed (processing is async) */
  #helloArrived = false
  /** the lease of the frame being dispatched (see onFrame) */
  #lease: FrameLease | undefined
  readonly #assembler = new BlockAssembler()
  #refsBuffer: RefEntry[] = []

  /** why: only a stream transport carries frames over MAX_FRAME (the direct path, ~GB/s); WebRTC and simulated links keep hashing where they did */
  readonly #fast: boolean

  constructor (host: IncomingHost) {
    this.#host = host
    this.#fast = (host.transport.maxFrameBytes ?? MAX_FRAME) > MAX_FRAME
  }

  /** bytes held for objects partly received */
  get pendingBlockBytes (): number { return this.#assembler.pendingBytes }

  /** `lease`: blocks used in place hold the frame's buffer until the swarm releases them; nothing else keeps a view of it */
  onFrame (frame: Uint8Array, lease?: FrameLease): void {
    this.#lease = lease
    try {
      this.#handleFrame(frame)
    } finally {
      this.#lease = undefined
    }
  }

  /** The handshake finished: what arrived during it is dispatched now, in order. */
  opened (): void {
    const early = this.#early
    this.#early = []
    for (const msg of early) this.#dispatch(msg)
  }

  /** The remote was refused: what it sent early is dropped. */
  dropEarly (): void {
    this.#early = []
  }

  /** What already arrived of these objects is dropped, so asking again starts clean. */
  cancelBlocks (ids: ObjectId[]): void {
    for (const id of ids) this.#assembler.cancel(id)
  }

  clear (): void {
    this.#assembler.clear()
  }

  #handleFrame (frame: Uint8Array): void {
    const host = this.#host
    if (host.state() === 'closed' || host.refused()) return
    host.ledger.frameReceived(frame.byteLength)
    // why: a frame larger than the transport carries means a broken transport; only a stream carries LARGE_FRAME
    const maxFrame = host.transport.maxFrameBytes ?? MAX_FRAME
    if (frame.byteLength > maxFrame) return host.close(GasError.frameLength(`${host.transport.remoteLabel} sent a frame of ${frame.byteLength} bytes over a transport that carries at most ${maxFrame}`))
    // why: a newer peer may send messages this build has no row for; skipping them is what lets the protocol grow
    if (frame.byteLength >= 2 && frame[0] === FRAME_VERSION && !isKnownMessageId(frame[1])) {
      try {
        host.guard.unknownMessage()
      } catch (err) {
        return host.close(asGasError(err))
      }
      this.unknownMessages++
      emit(this.listeners.unknown, frame[1])
      return
    }
    let msg: Message
    try {
      msg = decodeMessage(frame)
    } catch (err) {
      host.close(asGasError(err))
      return
    }
    if (msg.type === 'GOODBYE') return host.goodbye(msg)
    if (msg.type === 'HELLO') {
      const hello = msg
      this.#helloArrived = true
      // why: signing and verifying are async; a second HELLO must wait for the first one's outcome
      this.#helloChain = this.#helloChain.then(async () => await host.hello(hello)).catch((err) => host.close(asGasError(err)))
    } else if (host.state() === 'handshake') {
      if (!this.#helloArrived) return host.close(GasError.protocol(`${host.transport.remoteLabel} sent ${msg.type} before HELLO`))
      if (this.#early.length >= MAX_EARLY_FRAMES) return host.close(GasError.protocol(`${host.name()} sent too much before the handshake finished`))
      // why: decoded BLOCK bytes are a view into the frame, which the transport may reuse (new Uint8Array copies; Buffer#slice would not)
      if (msg.type === 'BLOCK') msg = { ...msg, bytes: new Uint8Array(msg.bytes) }
      if (msg.type === 'BATCH' || msg.type === 'LARGE_BATCH') msg = { ...msg, blocks: msg.blocks.map(block => ({ ...block, bytes: new Uint8Array(block.bytes) })) }
      this.#early.push(msg)
    } else {
      this.#dispatch(msg)
    }
  }

  #dispatch (msg: Exclude<Message, HelloMessage>): void {
    const host = this.#host
    try {
      switch (msg.type) {
        case 'REFS': return this.#onRefs(msg.refs)
        case 'WANT':
          this.remoteDone = false
          // its turn came: a serve that said BUSY asks for our versions now
          this.remoteBusy = undefined
          return host.want(msg.ids, msg.mode, msg.priority)
        case 'HAVE': return emit(this.listeners.have, msg.ids)
        case 'DONT_HAVE': return emit(this.listeners.dontHave, msg.ids)
        case 'DONT_HAVE_REASON':
          for (const cb of this.listeners.dontHave) cb(msg.ids, msg.reason === 'unknown' ? undefined : msg.reason)
          return
        case 'BLOCK': return this.#onBlock(msg)
        case 'BATCH':
        case 'LARGE_BATCH':
          for (const block of msg.blocks) {
            // a block listener may have closed the session
            if (host.state() === 'closed') return
            this.#onBlock(block)
          }
          return
        case 'CANCEL':
          // a version 1 peer says "done" with an empty CANCEL
          if (msg.ids.length === 0 && !host.remoteCan('done')) return this.#onDone()
          return host.cancel(msg.ids)
        case 'DONE': return this.#onDone()
        case 'BUSY':
          this.remoteBusy = msg.ahead
          return emit(this.listeners.busy, msg.ahead)
        case 'END_OF_REFS': return this.#endOfRefs()
        case 'GOODBYE': return host.goodbye(msg)
      }
    } catch (err) {
      host.close(asGasError(err))
    }
  }

  #onRefs (refs: RefEntry[]): void {
    if (refs.length > 0) {
      if (this.#refsBuffer.length + refs.length > MAX_ADVERTISED_REFS) throw GasError.protocol(`${this.#host.name()} advertised more than ${MAX_ADVERTISED_REFS} refs`)
      this.#refsBuffer.push(...refs)
      return
    }
    // a version 1 peer ends its advertisement with an empty REFS
    if (!this.#host.remoteCan('end-of-refs')) this.#endOfRefs()
  }

  #endOfRefs (): void {
    this.remoteRefs = this.#refsBuffer
    this.#refsBuffer = []
    emit(this.listeners.refs, this.remoteRefs)
  }

  #onBlock (msg: BlockMessage): void {
    const assembled = this.#assembler.add(msg)
    this.#host.ledger.payloadReceived(msg.bytes.byteLength, assembled !== undefined)
    const lease = this.#lease
    const inPlace = lease !== undefined && assembled !== undefined && assembled.bytes.buffer === msg.bytes.buffer
    // why: the assembler copied what it kept of these bytes (a fragment, a small object) or skipped
    // them, so no view of the frame leaves here; saying so lets the transport reuse the frame's
    // buffer. A frame nobody vouched for is never reused: over the direct path ~1 in 100 frames
    // carries only a fragment, and each was a fresh 1 MiB of shared memory (10 GB: ~130 MiB of
    // garbage for both threads' collectors, and its first-touch page faults)
    if (lease !== undefined && !inPlace) lease.hold()()
    if (assembled === undefined) return
    const type = objectTypeFromCode(assembled.objectType)
    // why: rawLength comes from the wire; the store's putEncoded decodes zstd and checks it, so decoding here too would double the work
    const object: EncodedObject = { type, encoding: assembled.encoding as 0 | 1, rawLength: assembled.rawLength, bytes: assembled.bytes }
    // an object used in place keeps the frame's buffer until every listener is done with it
    const release = releasedByAll(assembled.release ?? (inPlace ? lease.hold() : noop), this.listeners.block.length)
    emit(this.listeners.block, { id: assembled.id, object, release, fast: this.#fast })
  }

  #onDone (): void {
    this.remoteDone = true
    emit(this.listeners.done, undefined)
  }
}

function noop (): void {}

/**
 * `release` once each of `listeners` has called the returned function (none: at once).
 * why: a session can have two swarms listening (the serve's fetch of a member's lock records, then
 * of its versions); the idle one released each block at once, the frame was read into again while
 * the other still hashed and stored the block in place, and chunks were stored under ids they did
 * not match (seen: 25 in one member's store)
 */
function releasedByAll (release: () => void, listeners: number): () => void {
  if (listeners <= 1) {
    if (listeners === 0) release()
    return release
  }
  let left = listeners
  return () => { if (--left === 0) release() }
}

// why a copy: a listener may unsubscribe (a swarm detaching) while told
function emit<T> (listeners: Array<(value: T) => void>, value: T): void {
  for (const cb of [...listeners]) cb(value)
}

/** Adds `cb` to `listeners`; the returned function takes it off again (once). */
export function subscribe<T extends (...args: never[]) => void> (listeners: T[], cb: T): () => void {
  listeners.push(cb)
  return () => {
    const at = listeners.indexOf(cb)
    if (at >= 0) listeners.splice(at, 1)
  }
}
