import { randomBytes } from 'node:crypto'
import { GasError } from '../../errors.js'
import type { ObjectId, ObjectType } from '../../objects/id.js'
import type { ObjectStore } from '../../objects/store.js'
import { systemClock, PeerLedger, type Clock } from './ledger.js'
import { FloodGuard } from './flood-guard.js'
import { WantAnswers } from './want-answers.js'
import { checkSignedHello, helloMessage } from './hello.js'
import {
  MAX_IDS_PER_MESSAGE, chunkRefs, encodeMessage,
  type Capability, type DontHaveReason, type GoodbyeMessage, type HelloCertificate, type HelloMessage, type Message, type WantMode
} from '../wire/messages.js'
import { GOODBYE_LINGER_MS, HANDSHAKE_TIMEOUT_MS, type PeerIdentity, type ReceivedBlock, type RefEntry, type ServeVerdict, type SessionOptions } from './session-options.js'
import { asGasError, goodbyeError } from './session-failure.js'
import { IncomingFrames, subscribe } from './incoming-frames.js'
import { peerLost, type Transport } from '../transport/transport.js'

/**
 * One connection to one peer: handshake, dispatch of incoming messages (IncomingFrames), and
 * (through WantAnswers) serving the remote's WANTs. What to fetch is the swarm's business; the session reports HAVE,
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

/** Takes a listener off again (a swarm whose fetches are over; a wait that ended). */
export type Unsubscribe = () => void

export class PeerSession {
  readonly transport: Transport
  readonly store: ObjectStore
  readonly identity: PeerIdentity
  readonly ledger: PeerLedger
  /** the remote's HELLO (the signed one when authentication is on) */
  remote!: HelloMessage
  error: GasError | undefined

  readonly #opts: SessionOptions
  readonly #clock: Clock
  readonly #nonce = randomBytes(32).toString('hex')
  #state: State = 'handshake'
  #signedHelloSeen = false
  #helloSeen = false
  /** we refused the remote and sent GOODBYE: nothing more is read, the transport closes shortly */
  #refused = false
  #handshake: { resolve: () => void, reject: (err: Error) => void } | undefined
  readonly #answers: WantAnswers
  readonly #guard: FloodGuard
  readonly #incoming: IncomingFrames
  readonly #closeListeners: Array<(err?: GasError) => void> = []

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
      mayServe: (id, type) => this.#mayServe(id, type),
      fail: (err) => this.close(asGasError(err))
    })
    this.#incoming = new IncomingFrames({
      transport: this.transport,
      ledger: this.ledger,
      guard: this.#guard,
      name: () => this.name,
      state: () => this.#state,
      refused: () => this.#refused,
      remoteCan: (capability) => this.remoteCan(capability),
      hello: async (hello) => await this.#onHello(hello),
      goodbye: (msg) => this.#onGoodbye(msg),
      want: (ids, mode, priority) => this.#answers.want(ids, mode, priority),
      cancel: (ids) => this.#answers.cancel(ids),
      close: (err) => this.close(err)
    })
    this.transport.onFrame((frame, lease) => this.#incoming.onFrame(frame, lease))
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
  /** the remote's last complete advertisement */
  get remoteRefs (): RefEntry[] | undefined { return this.#incoming.remoteRefs }
  /** the remote said it wants nothing more */
  get remoteDone (): boolean { return this.#incoming.remoteDone }
  set remoteDone (done: boolean) { this.#incoming.remoteDone = done }
  /** frames with a message id this build does not know, skipped */
  get unknownMessages (): number { return this.#incoming.unknownMessages }
  /** the remote's last BUSY: how many members it takes before us; undefined if it never said */
  get remoteBusy (): number | undefined { return this.#incoming.remoteBusy }

  onHave (cb: (ids: ObjectId[]) => void): Unsubscribe { return subscribe(this.#incoming.listeners.have, cb) }
  /** `reason`: why the remote refused them ('access-denied'), when it said; absent: it does not hold them */
  onDontHave (cb: (ids: ObjectId[], reason?: DontHaveReason) => void): Unsubscribe { return subscribe(this.#incoming.listeners.dontHave, cb) }
  onBlock (cb: (block: ReceivedBlock) => void): Unsubscribe { return subscribe(this.#incoming.listeners.block, cb) }
  onRefs (cb: (refs: RefEntry[]) => void): Unsubscribe { return subscribe(this.#incoming.listeners.refs, cb) }
  onRemoteDone (cb: () => void): Unsubscribe { return subscribe(this.#incoming.listeners.done, cb) }
  /** the remote said it takes our versions after `ahead` other members' (BUSY) */
  onBusy (cb: (ahead: number) => void): Unsubscribe { return subscribe(this.#incoming.listeners.busy, cb) }
  /** a frame with a message id this build does not know arrived (and was skipped) */
  onUnknownMessage (cb: (messageId: number) => void): Unsubscribe { return subscribe(this.#incoming.listeners.unknown, cb) }
  /** whether the remote's HELLO lists this capability */
  remoteCan (capability: Capability): boolean { return this.remote?.capabilities.includes(capability) ?? false }
  onClose (cb: (err?: GasError) => void): Unsubscribe {
    if (this.#state !== 'closed') return subscribe(this.#closeListeners, cb)
    let off = false
    queueMicrotask(() => { if (!off) cb(this.error) })
    return () => { off = true }
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
    this.#incoming.cancelBlocks(ids)
    for (let i = 0; i < ids.length; i += MAX_IDS_PER_MESSAGE) {
      await this.#send({ type: 'CANCEL', ids: ids.slice(i, i + MAX_IDS_PER_MESSAGE) })
    }
  }

  /** bytes held for objects partly received from this peer */
  get pendingBlockBytes (): number { return this.#incoming.pendingBlockBytes }

  /** Tells the remote we want nothing more (DONE; an empty CANCEL for a version 1 peer). */
  async sendDone (): Promise<void> {
    await this.#send(this.remoteCan('done') ? { type: 'DONE' } : { type: 'CANCEL', ids: [] })
  }

  /** Tells a remote that understands it that we take its versions after `ahead` other members' (BUSY); false if it does not. */
  async sendBusy (ahead: number): Promise<boolean> {
    if (!this.remoteCan('busy')) return false
    await this.#send({ type: 'BUSY', ahead })
    return true
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
    this.#incoming.dropEarly()
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
    this.#incoming.opened()
  }

  /** why not async: the read gate answers at once for almost every object served (an await per object was a promise and a microtask turn) */
  #mayServe (id: ObjectId, type?: ObjectType): boolean | ServeVerdict | Promise<boolean | ServeVerdict> {
    if (this.#opts.mayServe === undefined) return true
    // why: without verify the remote's HELLO is whatever it claims; a certificate in it proves no role
    const remote = this.#opts.verify === undefined && this.remote.certificate !== null ? { ...this.remote, certificate: null } : this.remote
    return this.#opts.mayServe(id, remote, type)
  }

  #finish (err?: GasError): void {
    if (this.#state === 'closed') return
    this.#state = 'closed'
    this.error ??= err
    this.#incoming.clear()
    this.#answers.clear()
    this.#guard.close()
    this.#handshake?.reject(this.error ?? peerLost(this.transport.remoteLabel, 'closed during the handshake'))
    const listeners = this.#closeListeners.splice(0)
    for (const cb of listeners) {
      try { cb(this.error) } catch { /* a listener's failure must not stop the others */ }
    }
  }
}

