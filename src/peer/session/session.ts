import { randomBytes } from 'node:crypto'
import { GasError } from '../../errors.js'
import { objectTypeFromCode, type ObjectId, type ObjectType } from '../../objects/id.js'
import type { EncodedObject, ObjectStore } from '../../objects/store.js'
import { systemClock, PeerLedger, type Clock } from './ledger.js'
import { FloodGuard } from './flood-guard.js'
import { WantAnswers } from './want-answers.js'
import { checkSignedHello, helloMessage } from './hello.js'
import {
  BlockAssembler, FRAME_VERSION, MAX_IDS_PER_MESSAGE, chunkRefs, decodeMessage, encodeMessage, isKnownMessageId,
  type BlockMessage, type Capability, type DontHaveReason, type GoodbyeMessage, type HelloCertificate, type HelloMessage, type Message, type WantMode
} from '../wire/messages.js'
import { GOODBYE_LINGER_MS, HANDSHAKE_TIMEOUT_MS, MAX_ADVERTISED_REFS, MAX_EARLY_FRAMES, type PeerIdentity, type ReceivedBlock, type RefEntry, type ServeVerdict, type SessionOptions } from './session-options.js'
import { asGasError, goodbyeError } from './session-failure.js'
import { MAX_FRAME, peerLost, type FrameLease, type Transport } from '../transport/transport.js'

/**
 * One connection to one peer: handshake, dispatch of incoming messages, and (through WantAnswers)
 * serving the remote's WANTs. What to fetch is the swarm's business; the session reports HAVE,
 * DONT_HAVE, whole BLOCKs, REFS and the remote's "done".
 *
 *   HELLO (both sides) → [signed HELLO with certificate when authentication is on] → REFS… END_OF_REFS → WANT/HAVE/BLOCK/CANCEL… DONE
 *
 * A split advertisement ends with END_OF_REFS, so it is never mistaken for a complete one. A
 * refused peer is told why in a GOODBYE. A version 1 peer gets the old conventions (empty REFS,
 * empty CANCEL); an unknown message id is counted and skipped; anything malformed or out of order
 * ends the session with a typed error, and our own failures never blame the peer.
 */

export { asGasError } from './session-failure.js'
export { HANDSHAKE_TIMEOUT_MS, MAX_ADVERTISED_REFS, MAX_EARLY_FRAMES, MAX_QUEUED_WANTS, randomIdentity, type HelloProof, type PeerIdentity, type ReceivedBlock, type RefEntry, type SessionOptions } from './session-options.js'

type State = 'handshake' | 'open' | 'closed'

export class PeerSession {
  readonly transport: Transport
  readonly store: ObjectStore
  readonly identity: PeerIdentity
  readonly ledger: PeerLedger
  /** the remote's HELLO (the signed one when authentication is on) */
  remote!: HelloMessage
  /** the remote's last complete advertisement */
  remoteRefs: RefEntry[] | undefined
  /** the remote said it wants nothing more */
  remoteDone = false
  /** frames with a message id this build does not know, skipped */
  unknownMessages = 0
  error: GasError | undefined

  readonly #opts: SessionOptions
  readonly #clock: Clock
  readonly #nonce = randomBytes(32).toString('hex')
  #state: State = 'handshake'
  #early: Array<Exclude<Message, HelloMessage>> = []
  #helloChain: Promise<void> = Promise.resolve()
  #signedHelloSeen = false
  #helloSeen = false
  /** set as soon as a HELLO frame arrives, before it is processed (processing is async) */
  #helloArrived = false
  /** we refused the remote and sent GOODBYE: nothing more is read, the transport closes shortly */
  #refused = false
  #handshake: { resolve: () => void, reject: (err: Error) => void } | undefined
  /** the lease of the frame being dispatched (see #onFrame) */
  #lease: FrameLease | undefined
  readonly #assembler = new BlockAssembler()
  #refsBuffer: RefEntry[] = []
  readonly #answers: WantAnswers
  readonly #guard: FloodGuard
  readonly #listeners = {
    have: [] as Array<(ids: ObjectId[]) => void>,
    dontHave: [] as Array<(ids: ObjectId[], reason?: DontHaveReason) => void>,
    block: [] as Array<(block: ReceivedBlock) => void>,
    refs: [] as Array<(refs: RefEntry[]) => void>,
    done: [] as Array<() => void>,
    unknown: [] as Array<(messageId: number) => void>,
    close: [] as Array<(err?: GasError) => void>
  }

  private constructor (opts: SessionOptions) {
    this.#opts = opts
    this.transport = opts.transport
    this.store = opts.store
    this.identity = opts.identity
    this.#clock = opts.clock ?? systemClock
    this.ledger = opts.ledger ?? new PeerLedger(opts.transport.remoteLabel, this.#clock)
    this.#guard = new FloodGuard(this.#clock, () => this.name)
    this.#answers = new WantAnswers({
      store: this.store,
      transport: this.transport,
      ledger: this.ledger,
      guard: this.#guard,
      send: async (msg) => await this.#send(msg),
      open: () => this.#state === 'open',
      remoteCan: (capability) => this.remoteCan(capability),
      mayServe: async (id, type) => await this.#mayServe(id, type),
      fail: (err) => this.close(asGasError(err))
    })
    this.transport.onFrame((frame, lease) => this.#onFrame(frame, lease))
    this.transport.onClose((err) => this.#finish(this.error ?? (err === undefined || err instanceof GasError ? err : peerLost(this.transport.remoteLabel, (err as Error).message))))
  }

  /** Connects: exchanges HELLOs (and signatures when configured); rejects with a typed error. */
  static async open (opts: SessionOptions): Promise<PeerSession> {
    const session = new PeerSession(opts)
    await session.#start()
    return session
  }

  /** the remote's name, as it introduced itself */
  get name (): string { return this.remote?.name ?? this.transport.remoteLabel }
  get closed (): boolean { return this.#state === 'closed' }
  /** block requests from the remote not yet served */
  get queuedWants (): number { return this.#answers.queued }

  onHave (cb: (ids: ObjectId[]) => void): void { this.#listeners.have.push(cb) }
  /** `reason`: why the remote refused them ('access-denied'), when it said; absent: it does not hold them */
  onDontHave (cb: (ids: ObjectId[], reason?: DontHaveReason) => void): void { this.#listeners.dontHave.push(cb) }
  onBlock (cb: (block: ReceivedBlock) => void): void { this.#listeners.block.push(cb) }
  onRefs (cb: (refs: RefEntry[]) => void): void { this.#listeners.refs.push(cb) }
  onRemoteDone (cb: () => void): void { this.#listeners.done.push(cb) }
  /** a frame with a message id this build does not know arrived (and was skipped) */
  onUnknownMessage (cb: (messageId: number) => void): void { this.#listeners.unknown.push(cb) }
  /** whether the remote's HELLO lists this capability */
  remoteCan (capability: Capability): boolean { return this.remote?.capabilities.includes(capability) ?? false }
  onClose (cb: (err?: GasError) => void): void {
    if (this.#state === 'closed') queueMicrotask(() => cb(this.error))
    else this.#listeners.close.push(cb)
  }

  /** Resolves with the remote's first complete advertisement (or the latest one already received). */
  async waitRefs (timeoutMs = HANDSHAKE_TIMEOUT_MS): Promise<RefEntry[]> {
    if (this.remoteRefs !== undefined) return this.remoteRefs
    return await new Promise((resolve, reject) => {
      const cancel = this.#clock.after(timeoutMs, () => reject(new GasError('E_TIMEOUT', `${this.name} did not advertise its refs within ${timeoutMs} ms`, { peer: this.name })))
      this.onRefs((refs) => { cancel(); resolve(refs) })
      this.onClose((err) => { cancel(); reject(err ?? peerLost(this.name, 'closed before advertising refs')) })
    })
  }

  // ---- outgoing ----------------------------------------------------------------------------

  /** REFS: the list in frames that fit, ended by END_OF_REFS (an empty REFS for a version 1 peer). */
  async advertiseRefs (refs: RefEntry[]): Promise<void> {
    const messages: Message[] = refs.length === 0 ? [] : chunkRefs(refs)
    messages.push(this.remoteCan('end-of-refs') ? { type: 'END_OF_REFS' } : { type: 'REFS', refs: [] })
    for (const msg of messages) await this.#send(msg)
  }

  /** WANT: asks for `ids` (`block`: send them; `have`: say whether you hold them). */
  async want (ids: ObjectId[], mode: WantMode, priority: number): Promise<void> {
    for (let i = 0; i < ids.length; i += MAX_IDS_PER_MESSAGE) {
      await this.#send({ type: 'WANT', ids: ids.slice(i, i + MAX_IDS_PER_MESSAGE), mode, priority })
    }
  }

  /** CANCEL: no longer send these; what already arrived of them is dropped, so asking again starts clean. */
  async cancel (ids: ObjectId[]): Promise<void> {
    for (const id of ids) this.#assembler.cancel(id)
    for (let i = 0; i < ids.length; i += MAX_IDS_PER_MESSAGE) {
      await this.#send({ type: 'CANCEL', ids: ids.slice(i, i + MAX_IDS_PER_MESSAGE) })
    }
  }

  /** bytes held for objects partly received from this peer */
  get pendingBlockBytes (): number { return this.#assembler.pendingBytes }

  /** Tells the remote we want nothing more (DONE; an empty CANCEL for a version 1 peer). */
  async sendDone (): Promise<void> {
    await this.#send(this.remoteCan('done') ? { type: 'DONE' } : { type: 'CANCEL', ids: [] })
  }

  /** Ends the session; `err` is what listeners are told (undefined: a normal close). */
  close (err?: GasError): void {
    if (this.#state === 'closed') return
    this.error ??= err
    this.transport.close()
    this.#finish(this.error)
  }

  async #send (msg: Message): Promise<void> {
    const frame = encodeMessage(msg)
    this.ledger.frameSent(frame.byteLength)
    await this.transport.send(frame)
  }

  // ---- handshake ---------------------------------------------------------------------------

  async #start (): Promise<void> {
    const done = new Promise<void>((resolve, reject) => { this.#handshake = { resolve, reject } })
    // the session may close (and reject this) before we await it, e.g. when sending HELLO fails
    done.catch(() => {})
    const timeoutMs = this.#opts.handshakeTimeoutMs ?? HANDSHAKE_TIMEOUT_MS
    const cancel = this.#clock.after(timeoutMs, () => this.close(new GasError('E_TIMEOUT', `no handshake from ${this.transport.remoteLabel} within ${timeoutMs} ms`, { peer: this.transport.remoteLabel })))
    try {
      await this.#send(this.#hello(null, null))
      await done
    } catch (err) {
      // a refused remote is closed once our GOODBYE is out (see #refuse)
      if (!this.#refused) this.close(asGasError(err))
      throw this.error ?? asGasError(err)
    } finally {
      cancel()
    }
  }

  #hello (signature: string | null, certificate: HelloCertificate | null): HelloMessage {
    return helloMessage(this.identity, this.#nonce, signature, certificate)
  }

  async #onHello (hello: HelloMessage): Promise<void> {
    if (this.#state === 'closed') return
    if (this.#state === 'open') {
      // a remote that signs while we do not verify: its signed HELLO arrives after we opened
      if (this.#signedHelloSeen || hello.signature === null || hello.peerId !== this.remote.peerId) throw GasError.protocol(`${this.name} sent HELLO twice`)
      this.#signedHelloSeen = true
      return
    }
    if (!this.#helloSeen) {
      this.#helloSeen = true
      if (hello.peerId === this.identity.peerId) throw GasError.protocol('connected to ourselves', { peerId: hello.peerId })
      this.remote = hello
      if (this.#opts.sign !== undefined) {
        const proof = await this.#opts.sign({ remoteNonce: hello.nonce, ourNonce: this.#nonce })
        await this.#send(this.#hello(proof.signature, proof.certificate))
      }
      if (this.#opts.verify === undefined) return this.#opened()
      // why: a version 1 peer sends no HELLO we could verify (its signature binds one nonce, it has no
      // certificate); let verify refuse it now, naming its version, rather than time out waiting
      if (hello.version < 2 && !(await this.#verify(hello))) return
      if (hello.signature === null) return
    }
    checkSignedHello(this.remote, hello, this.name)
    if (!(await this.#verify(hello))) return
    this.#signedHelloSeen = true
    this.remote = hello
    this.#opened()
  }

  /** Runs the verify hook; a failure refuses the remote (false). */
  async #verify (hello: HelloMessage): Promise<boolean> {
    try {
      await this.#opts.verify?.(hello, this.#nonce)
      return true
    } catch (err) {
      this.#refuse(asGasError(err) ?? GasError.protocol('refused'))
      return false
    }
  }

  /** Ends the handshake with `err` and tells the remote why (GOODBYE), when it understands that. */
  #refuse (err: GasError): void {
    if (this.#state === 'closed') return
    if (!this.remoteCan('goodbye')) return this.close(err)
    this.error ??= err
    this.#refused = true
    this.#early = []
    this.#handshake?.reject(err)
    // why: a 300-character reason always fits MAX_GOODBYE_BYTES, whatever the characters
    this.#send({ type: 'GOODBYE', code: err.code, message: err.message.slice(0, 300) })
      .then(() => { this.#clock.after(GOODBYE_LINGER_MS, () => this.close(err)) }, () => this.close(err))
  }

  #onGoodbye (msg: GoodbyeMessage): void {
    this.close(goodbyeError(this.name, msg))
  }

  #opened (): void {
    this.#state = 'open'
    this.#handshake?.resolve()
    const early = this.#early
    this.#early = []
    for (const msg of early) this.#dispatch(msg)
  }

  // ---- incoming ----------------------------------------------------------------------------

  /** `lease`: blocks used in place hold the frame's buffer until the swarm releases them; nothing else keeps a view of it */
  #onFrame (frame: Uint8Array, lease?: FrameLease): void {
    this.#lease = lease
    try {
      this.#handleFrame(frame)
    } finally {
      this.#lease = undefined
    }
  }

  #handleFrame (frame: Uint8Array): void {
    if (this.#state === 'closed' || this.#refused) return
    this.ledger.frameReceived(frame.byteLength)
    // why: a frame larger than the transport carries means a broken transport; only a stream carries LARGE_FRAME
    const maxFrame = this.transport.maxFrameBytes ?? MAX_FRAME
    if (frame.byteLength > maxFrame) return this.close(GasError.frameLength(`${this.transport.remoteLabel} sent a frame of ${frame.byteLength} bytes over a transport that carries at most ${maxFrame}`))
    // why: a newer peer may send messages this build has no row for; skipping them is what lets the protocol grow
    if (frame.byteLength >= 2 && frame[0] === FRAME_VERSION && !isKnownMessageId(frame[1])) {
      try {
        this.#guard.unknownMessage()
      } catch (err) {
        return this.close(asGasError(err))
      }
      this.unknownMessages++
      emit(this.#listeners.unknown, frame[1])
      return
    }
    let msg: Message
    try {
      msg = decodeMessage(frame)
    } catch (err) {
      this.close(asGasError(err))
      return
    }
    if (msg.type === 'GOODBYE') return this.#onGoodbye(msg)
    if (msg.type === 'HELLO') {
      const hello = msg
      this.#helloArrived = true
      // why: signing and verifying are async; a second HELLO must wait for the first one's outcome
      this.#helloChain = this.#helloChain.then(async () => await this.#onHello(hello)).catch((err) => this.close(asGasError(err)))
    } else if (this.#state === 'handshake') {
      if (!this.#helloArrived) return this.close(GasError.protocol(`${this.transport.remoteLabel} sent ${msg.type} before HELLO`))
      if (this.#early.length >= MAX_EARLY_FRAMES) return this.close(GasError.protocol(`${this.name} sent too much before the handshake finished`))
      // why: decoded BLOCK bytes are a view into the frame, which the transport may reuse (new Uint8Array copies; Buffer#slice would not)
      if (msg.type === 'BLOCK') msg = { ...msg, bytes: new Uint8Array(msg.bytes) }
      if (msg.type === 'BATCH' || msg.type === 'LARGE_BATCH') msg = { ...msg, blocks: msg.blocks.map(block => ({ ...block, bytes: new Uint8Array(block.bytes) })) }
      this.#early.push(msg)
    } else {
      this.#dispatch(msg)
    }
  }

  #dispatch (msg: Exclude<Message, HelloMessage>): void {
    try {
      switch (msg.type) {
        case 'REFS': return this.#onRefs(msg.refs)
        case 'WANT': return this.#onWant(msg.ids, msg.mode, msg.priority)
        case 'HAVE': return emit(this.#listeners.have, msg.ids)
        case 'DONT_HAVE': return emit(this.#listeners.dontHave, msg.ids)
        case 'DONT_HAVE_REASON':
          for (const cb of this.#listeners.dontHave) cb(msg.ids, msg.reason === 'unknown' ? undefined : msg.reason)
          return
        case 'BLOCK': return this.#onBlock(msg)
        case 'BATCH':
        case 'LARGE_BATCH':
          for (const block of msg.blocks) {
            // a block listener may have closed the session
            if (this.#state === 'closed') return
            this.#onBlock(block)
          }
          return
        case 'CANCEL': return this.#onCancel(msg.ids)
        case 'DONE': return this.#onDone()
        case 'END_OF_REFS': return this.#endOfRefs()
        case 'GOODBYE': return this.#onGoodbye(msg)
      }
    } catch (err) {
      this.close(asGasError(err))
    }
  }

  #onRefs (refs: RefEntry[]): void {
    if (refs.length > 0) {
      if (this.#refsBuffer.length + refs.length > MAX_ADVERTISED_REFS) throw GasError.protocol(`${this.name} advertised more than ${MAX_ADVERTISED_REFS} refs`)
      this.#refsBuffer.push(...refs)
      return
    }
    // a version 1 peer ends its advertisement with an empty REFS
    if (!this.remoteCan('end-of-refs')) this.#endOfRefs()
  }

  #endOfRefs (): void {
    this.remoteRefs = this.#refsBuffer
    this.#refsBuffer = []
    emit(this.#listeners.refs, this.remoteRefs)
  }

  #onBlock (msg: BlockMessage): void {
    const assembled = this.#assembler.add(msg)
    this.ledger.payloadReceived(msg.bytes.byteLength, assembled !== undefined)
    if (assembled === undefined) return
    const type = objectTypeFromCode(assembled.objectType)
    // why: rawLength comes from the wire; the store's putEncoded decodes zstd and checks it, so decoding here too would double the work
    const object: EncodedObject = { type, encoding: assembled.encoding as 0 | 1, rawLength: assembled.rawLength, bytes: assembled.bytes }
    // an object used in place keeps the frame's buffer until the swarm is done with it
    const release = assembled.release ?? (this.#lease !== undefined && assembled.bytes.buffer === msg.bytes.buffer ? this.#lease.hold() : noop)
    emit(this.#listeners.block, { id: assembled.id, object, release })
  }

  #onCancel (ids: ObjectId[]): void {
    // a version 1 peer says "done" with an empty CANCEL
    if (ids.length === 0 && !this.remoteCan('done')) return this.#onDone()
    this.#answers.cancel(ids)
  }

  #onDone (): void {
    this.remoteDone = true
    emit(this.#listeners.done, undefined)
  }

  #onWant (ids: ObjectId[], mode: WantMode, priority: number): void {
    this.remoteDone = false
    this.#answers.want(ids, mode, priority)
  }

  async #mayServe (id: ObjectId, type?: ObjectType): Promise<boolean | ServeVerdict> {
    if (this.#opts.mayServe === undefined) return true
    // why: without verify the remote's HELLO is whatever it claims; a certificate in it proves no role
    const remote = this.#opts.verify === undefined && this.remote.certificate !== null ? { ...this.remote, certificate: null } : this.remote
    return await this.#opts.mayServe(id, remote, type)
  }

  #finish (err?: GasError): void {
    if (this.#state === 'closed') return
    this.#state = 'closed'
    this.error ??= err
    this.#assembler.clear()
    this.#answers.clear()
    this.#guard.close()
    this.#handshake?.reject(this.error ?? peerLost(this.transport.remoteLabel, 'closed during the handshake'))
    const listeners = this.#listeners.close
    this.#listeners.close = []
    for (const cb of listeners) {
      try { cb(this.error) } catch { /* a listener's failure must not stop the others */ }
    }
  }
}

function noop (): void {}

function emit<T> (listeners: Array<(value: T) => void>, value: T): void {
  for (const cb of listeners) cb(value)
}
