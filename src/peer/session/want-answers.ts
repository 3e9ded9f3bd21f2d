import type { ObjectId, ObjectType } from '../../objects/id.js'
import type { ObjectStore } from '../../objects/store.js'
import type { Capability, Message, WantMode } from '../wire/messages.js'
import { MAX_FRAME, type Transport } from '../transport/transport.js'
import { BlockServer } from './block-server.js'
import type { FloodGuard } from './flood-guard.js'
import type { PeerLedger } from './ledger.js'
import type { ServeVerdict } from './session-options.js'

export interface WantAnswersOptions {
  store: ObjectStore
  transport: Transport
  ledger: PeerLedger
  guard: FloodGuard
  /** sends a control message through the session */
  send: (msg: Message) => Promise<void>
  /** whether the session is still open */
  open: () => boolean
  remoteCan: (capability: Capability) => boolean
  /** the ACL's verdict for the remote on this object (SessionOptions.mayServe, bound to the remote) */
  mayServe: (id: ObjectId, type?: ObjectType) => boolean | ServeVerdict | Promise<boolean | ServeVerdict>
  /** ends the session with what went wrong while answering */
  fail: (err: unknown) => void
}

/**
 * The serving side of a session: the remote's WANTs answered. `have` queries get HAVE / DONT_HAVE
 * (with a reason for what the ACL refuses), `block` requests queue for the BlockServer; the flood
 * guard paces both, so a peer asking for everything cannot starve the others.
 */
export class WantAnswers {
  readonly #opts: WantAnswersOptions
  readonly #server: BlockServer
  #haveChain: Promise<void> = Promise.resolve()

  constructor (opts: WantAnswersOptions) {
    this.#opts = opts
    this.#server = new BlockServer({
      store: opts.store,
      transport: opts.transport,
      ledger: opts.ledger,
      send: opts.send,
      dontHave: async (ids, reason) => await this.#sendDontHave(ids, reason),
      open: opts.open,
      mayServe: opts.mayServe,
      misses: opts.guard.misses,
      // why: frames over MAX_FRAME only where the transport carries them and the remote reads them
      maxFrame: () => opts.remoteCan('large-frames') ? Math.max(MAX_FRAME, opts.transport.maxFrameBytes ?? MAX_FRAME) : MAX_FRAME
    })
  }

  /** block requests from the remote not yet served */
  get queued (): number { return this.#server.queue.size }

  /** WANT: throws (E_FLOOD) when the remote asks beyond what the guard admits. */
  want (ids: ObjectId[], mode: WantMode, priority: number): void {
    const { guard, fail } = this.#opts
    if (mode === 'have') {
      guard.admitHaveQueries(ids.length)
      this.#haveChain = this.#haveChain.then(async () => {
        await guard.haveQueries.spend(ids.length)
        await this.#answerHave(ids)
      }).catch(fail).finally(() => guard.haveQueriesAnswered(ids.length))
      return
    }
    const queue = this.#server.queue
    guard.admitBlockWants(queue.size, ids.length)
    for (const id of ids) queue.add(id, priority)
    this.#server.serve().catch(fail)
  }

  /** CANCEL: drops queued requests */
  cancel (ids: ObjectId[]): void { this.#server.cancel(ids) }

  clear (): void { this.#server.clear() }

  async #answerHave (ids: ObjectId[]): Promise<void> {
    const { store, send, open, mayServe } = this.#opts
    const have: ObjectId[] = []
    const dontHave: ObjectId[] = []
    const denied: ObjectId[] = []
    for (const id of ids) {
      const verdict = (await store.has(id)) ? await mayServe(id) : false
      ;(verdict === true ? have : verdict === false ? dontHave : denied).push(id)
    }
    if (!open()) return
    if (have.length > 0) await send({ type: 'HAVE', ids: have })
    if (dontHave.length > 0) await send({ type: 'DONT_HAVE', ids: dontHave })
    if (denied.length > 0) await this.#sendDontHave(denied, 'access-denied')
  }

  /** DONT_HAVE, with the reason when there is one and the remote understands it (DONT_HAVE_REASON) */
  async #sendDontHave (ids: ObjectId[], reason?: ServeVerdict): Promise<void> {
    await this.#opts.send(reason !== undefined && this.#opts.remoteCan('dont-have-reason') ? { type: 'DONT_HAVE_REASON', reason, ids } : { type: 'DONT_HAVE', ids })
  }
}
