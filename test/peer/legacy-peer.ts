import { randomBytes } from 'node:crypto'
import { objectTypeCode, type ObjectId } from '../../src/objects/id.js'
import type { ObjectStore } from '../../src/objects/store.js'
import { decodeMessage, encodeMessage, fragmentBlock, type Message } from '../../src/peer/wire/messages.js'
import type { RefEntry } from '../../src/peer/session/session.js'
import type { Transport } from '../../src/peer/transport/transport.js'

/**
 * A peer speaking protocol version 1, the first release, as its rules were (commit f9b9958):
 * its HELLO has no version, capabilities or certificate; it knows message ids 1–8 only and ends
 * the connection on any other one; an advertisement ends with an empty REFS; "done" is an empty
 * CANCEL. Ids 2–8 are framed exactly as today (the wire table's known-bytes tests pin them), so
 * it encodes those with today's codecs. It serves WANTs from `store` and can fetch by id.
 */
export class LegacyPeer {
  readonly peerId = randomBytes(32).toString('hex')
  /** what a version 1 peer would have closed the connection for */
  error: string | undefined
  /** the remote's advertisement, once its empty REFS arrived */
  refs: RefEntry[] | undefined
  remoteDone = false
  remoteName: string | undefined
  readonly blocks = new Map<ObjectId, number>()
  readonly #refsBuffer: RefEntry[] = []
  readonly #waiters: Array<() => void> = []

  /** `serving`: after the handshake it advertises `advertise` and says done, as version 1's `gas serve` did */
  constructor (readonly transport: Transport, readonly store: ObjectStore, readonly name: string, readonly advertise: RefEntry[] = [], readonly serving = false) {
    transport.onFrame((frame) => { this.#onFrame(frame).catch((err: Error) => this.#fail(err.message)) })
  }

  /** HELLO as version 1 sent it: <1><1><len u16><JSON with these six keys only> */
  async hello (): Promise<void> {
    const json = Buffer.from(JSON.stringify({ name: this.name, nonce: randomBytes(32).toString('hex'), peerId: this.peerId, publicKey: randomBytes(32).toString('hex'), signature: null, teamId: null }))
    await this.transport.send(Buffer.concat([Uint8Array.of(1, 1, json.length >> 8, json.length & 255), json]))
  }

  async want (ids: ObjectId[]): Promise<void> {
    await this.#send({ type: 'WANT', ids, mode: 'block', priority: 1 })
  }

  async sendDone (): Promise<void> {
    await this.#send({ type: 'CANCEL', ids: [] })
  }

  /** Resolves once `ready()` holds, re-checked after every frame. */
  async until (ready: () => boolean): Promise<void> {
    while (!ready() && this.error === undefined && !this.transport.closed) await new Promise<void>((resolve) => this.#waiters.push(resolve))
  }

  async #send (msg: Message): Promise<void> {
    await this.transport.send(encodeMessage(msg))
  }

  #fail (why: string): void {
    this.error ??= why
    this.transport.close()
    this.#wake()
  }

  #wake (): void {
    for (const resolve of this.#waiters.splice(0)) resolve()
  }

  async #onFrame (frame: Uint8Array): Promise<void> {
    if (this.error !== undefined) return
    // version 1's decoder: frame version 1, message ids 1..8, anything else ends the session
    if (frame[0] !== 1) return this.#fail(`protocol version ${frame[0]}`)
    if (!(frame[1] >= 1 && frame[1] <= 8)) return this.#fail(`unknown message id ${frame[1]}`)
    const msg = decodeMessage(frame)
    switch (msg.type) {
      case 'HELLO':
        if (this.remoteName === undefined) {
          this.remoteName = msg.name
          if (this.advertise.length > 0) await this.#send({ type: 'REFS', refs: this.advertise })
          await this.#send({ type: 'REFS', refs: [] })
          if (this.serving) await this.sendDone()
        }
        break
      case 'REFS':
        if (msg.refs.length > 0) this.#refsBuffer.push(...msg.refs)
        else this.refs = this.#refsBuffer.splice(0)
        break
      case 'CANCEL':
        if (msg.ids.length === 0) this.remoteDone = true
        break
      case 'WANT':
        for (const id of msg.ids) {
          const object = await this.store.getEncoded(id)
          if (object === undefined) await this.#send({ type: 'DONT_HAVE', ids: [id] })
          else if (msg.mode === 'have') await this.#send({ type: 'HAVE', ids: [id] })
          else for (const block of fragmentBlock(id, objectTypeCode(object.type), object.encoding, object.bytes, object.rawLength)) await this.#send(block)
        }
        break
      case 'BLOCK':
        if (msg.offset + msg.bytes.byteLength === msg.totalLength) this.blocks.set(msg.id, msg.totalLength)
        break
      case 'BATCH':
        for (const block of msg.blocks) if (block.offset + block.bytes.byteLength === block.totalLength) this.blocks.set(block.id, block.totalLength)
        break
      default:
        break
    }
    this.#wake()
  }
}
