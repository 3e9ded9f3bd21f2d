import { randomBytes } from 'node:crypto'
import { GasError } from '../errors.js'
import { objectTypeFromCode, type ObjectId } from '../objects/id.js'
import type { EncodedObject, ObjectStore } from '../objects/store.js'
import { systemClock, PeerLedger, type Clock } from './ledger.js'
import { BlockServer } from './block-server.js'
import {
  BlockAssembler, MAX_IDS_PER_MESSAGE, chunkRefs, decodeMessage, encodeMessage,
  type BlockMessage, type HelloMessage, type Message, type RefsMessage, type WantMode
} from './messages.js'
import { HANDSHAKE_TIMEOUT_MS, MAX_ADVERTISED_REFS, MAX_EARLY_FRAMES, MAX_QUEUED_WANTS, type PeerIdentity, type ReceivedBlock, type RefEntry, type SessionOptions } from './session-options.js'
import { peerLost, type Transport } from './transport.js'

/**
 * One connection to one peer: handshake, dispatch of incoming messages, and serving the remote's
 * WANTs from our store. What to fetch is the swarm's business; the session only reports HAVE,
 * DONT_HAVE, whole BLOCKs, REFS and the remote's "done".
 *
 *   HELLO (both sides) → [signed HELLO when authentication is on] → REFS… → WANT/HAVE/BLOCK/CANCEL…
 *
 * Conventions on top of the message table (no new message ids):
 * - an advertisement is one or more REFS messages ended by an empty REFS, so a split list is
 *   never mistaken for a complete one;
 * - an empty CANCEL means "I want nothing more from you": a syncing peer may close once both
 *   sides said so.
 * Anything malformed or out of order ends the session with a typed error; never the process.
 */

export { HANDSHAKE_TIMEOUT_MS, MAX_ADVERTISED_REFS, MAX_EARLY_FRAMES, MAX_QUEUED_WANTS, randomIdentity, type PeerIdentity, type ReceivedBlock, type RefEntry, type SessionOptions } from './session-options.js'

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
  #handshake: { resolve: () => void, reject: (err: Error) => void } | undefined
  readonly #assembler = new BlockAssembler()
  #refsBuffer: RefEntry[] = []
  readonly #server: BlockServer
  #haveChain: Promise<void> = Promise.resolve()
  readonly #listeners = {
    have: [] as Array<(ids: ObjectId[]) => void>,
    dontHave: [] as Array<(ids: ObjectId[]) => void>,
    block: [] as Array<(block: ReceivedBlock) => void>,
    refs: [] as Array<(refs: RefEntry[]) => void>,
    done: [] as Array<() => void>,
    close: [] as Array<(err?: GasError) => void>
  }

  private constructor (opts: SessionOptions) {
    this.#opts = opts
    this.transport = opts.transport
    this.store = opts.store
    this.identity = opts.identity
    this.#clock = opts.clock ?? systemClock
    this.ledger = opts.ledger ?? new PeerLedger(opts.transport.remoteLabel, this.#clock)
    this.#server = new BlockServer({
      store: this.store,
      transport: this.transport,
      ledger: this.ledger,
      send: async (msg) => await this.#send(msg),
      open: () => this.#state === 'open',
      mayServe: async (id) => await this.#mayServe(id)
    })
    this.transport.onFrame((frame) => this.#onFrame(frame))
    this.transport.onClose((err) => this.#finish(this.error ?? asGasError(err)))
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
  get queuedWants (): number { return this.#server.queue.size }

  onHave (cb: (ids: ObjectId[]) => void): void { this.#listeners.have.push(cb) }
  onDontHave (cb: (ids: ObjectId[]) => void): void { this.#listeners.dontHave.push(cb) }
  onBlock (cb: (block: ReceivedBlock) => void): void { this.#listeners.block.push(cb) }
  onRefs (cb: (refs: RefEntry[]) => void): void { this.#listeners.refs.push(cb) }
  onRemoteDone (cb: () => void): void { this.#listeners.done.push(cb) }
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

  /** REFS: the list in frames that fit, ended by an empty REFS. */
  async advertiseRefs (refs: RefEntry[]): Promise<void> {
    const messages = refs.length === 0 ? [] : chunkRefs(refs)
    for (const msg of [...messages, { type: 'REFS', refs: [] } satisfies RefsMessage]) await this.#send(msg)
  }

  /** WANT: asks for `ids` (`block`: send them; `have`: say whether you hold them). */
  async want (ids: ObjectId[], mode: WantMode, priority: number): Promise<void> {
    for (let i = 0; i < ids.length; i += MAX_IDS_PER_MESSAGE) {
      await this.#send({ type: 'WANT', ids: ids.slice(i, i + MAX_IDS_PER_MESSAGE), mode, priority })
    }
  }

  /** CANCEL: no longer send these. */
  async cancel (ids: ObjectId[]): Promise<void> {
    for (let i = 0; i < ids.length; i += MAX_IDS_PER_MESSAGE) {
      await this.#send({ type: 'CANCEL', ids: ids.slice(i, i + MAX_IDS_PER_MESSAGE) })
    }
  }

  /** Tells the remote we want nothing more (empty CANCEL). */
  async sendDone (): Promise<void> {
    await this.#send({ type: 'CANCEL', ids: [] })
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
      await this.#send({ type: 'HELLO', ...this.identity, nonce: this.#nonce, signature: null })
      await done
    } catch (err) {
      this.close(asGasError(err))
      throw this.error ?? asGasError(err)
    } finally {
      cancel()
    }
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
        const signature = await this.#opts.sign(hello.nonce)
        await this.#send({ type: 'HELLO', ...this.identity, nonce: this.#nonce, signature })
      }
      if (this.#opts.verify === undefined) return this.#opened()
      if (hello.signature === null) return
    }
    if (hello.peerId !== this.remote.peerId || hello.publicKey !== this.remote.publicKey) {
      throw new GasError('E_AUTH', `${this.name} changed identity during the handshake`, { peer: this.name })
    }
    if (hello.signature === null) throw new GasError('E_AUTH', `${this.name} did not sign our challenge`, { peer: this.name })
    await this.#opts.verify?.(hello, this.#nonce)
    this.#signedHelloSeen = true
    this.remote = hello
    this.#opened()
  }

  #opened (): void {
    this.#state = 'open'
    this.#handshake?.resolve()
    const early = this.#early
    this.#early = []
    for (const msg of early) this.#dispatch(msg)
  }

  // ---- incoming ----------------------------------------------------------------------------

  #onFrame (frame: Uint8Array): void {
    if (this.#state === 'closed') return
    this.ledger.frameReceived(frame.byteLength)
    let msg: Message
    try {
      msg = decodeMessage(frame)
    } catch (err) {
      this.close(asGasError(err))
      return
    }
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
      if (msg.type === 'BATCH') msg = { ...msg, blocks: msg.blocks.map(block => ({ ...block, bytes: new Uint8Array(block.bytes) })) }
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
        case 'BLOCK': return this.#onBlock(msg)
        case 'BATCH':
          for (const block of msg.blocks) {
            // a block listener may have closed the session
            if (this.#state === 'closed') return
            this.#onBlock(block)
          }
          return
        case 'CANCEL': return this.#onCancel(msg.ids)
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
    emit(this.#listeners.block, { id: assembled.id, object, release: assembled.release ?? noop })
  }

  #onCancel (ids: ObjectId[]): void {
    if (ids.length === 0) {
      this.remoteDone = true
      emit(this.#listeners.done, undefined)
      return
    }
    this.#server.cancel(ids)
  }

  #onWant (ids: ObjectId[], mode: WantMode, priority: number): void {
    this.remoteDone = false
    if (mode === 'have') {
      this.#haveChain = this.#haveChain.then(async () => await this.#answerHave(ids)).catch((err) => this.close(asGasError(err)))
      return
    }
    const queue = this.#server.queue
    if (queue.size + ids.length > MAX_QUEUED_WANTS) throw GasError.protocol(`${this.name} queued more than ${MAX_QUEUED_WANTS} block requests`)
    for (const id of ids) queue.add(id, priority)
    this.#server.serve().catch((err) => this.close(asGasError(err)))
  }

  async #answerHave (ids: ObjectId[]): Promise<void> {
    const have: ObjectId[] = []
    const dontHave: ObjectId[] = []
    for (const id of ids) ((await this.store.has(id)) && (await this.#mayServe(id)) ? have : dontHave).push(id)
    if (this.#state === 'closed') return
    if (have.length > 0) await this.#send({ type: 'HAVE', ids: have })
    if (dontHave.length > 0) await this.#send({ type: 'DONT_HAVE', ids: dontHave })
  }

  async #mayServe (id: ObjectId): Promise<boolean> {
    return this.#opts.mayServe === undefined || await this.#opts.mayServe(id, this.remote)
  }

  #finish (err?: GasError): void {
    if (this.#state === 'closed') return
    this.#state = 'closed'
    this.error ??= err
    this.#assembler.clear()
    this.#server.clear()
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

export function asGasError (err: unknown): GasError | undefined {
  if (err === undefined) return undefined
  if (err instanceof GasError) return err
  return GasError.protocol(`unexpected failure: ${(err as Error)?.message ?? String(err)}`)
}
