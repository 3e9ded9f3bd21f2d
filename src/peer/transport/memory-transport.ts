import { TransportBase, checkFrame, peerLost, type Transport } from './transport.js'

let pairCounter = 0

/**
 * Two transports joined in memory: no delay, no bandwidth limit, frames copied so neither side
 * can mutate what the other holds. Delivery runs in a microtask, in order, so a handler that
 * sends from inside `onFrame` never re-enters the other side's handler.
 */
export class MemoryTransport extends TransportBase {
  #peer: MemoryTransport | undefined
  #inbox: Array<Uint8Array | 'close'> = []
  #scheduled = false

  private constructor (remoteLabel: string) {
    super(remoteLabel)
  }

  static pair (labels: { a?: string, b?: string } = {}): [Transport, Transport] {
    const n = ++pairCounter
    const a = new MemoryTransport(labels.b ?? `memory-${n}-b`)
    const b = new MemoryTransport(labels.a ?? `memory-${n}-a`)
    a.#peer = b
    b.#peer = a
    return [a, b]
  }

  async send (frame: Uint8Array): Promise<void> {
    if (this.closed) throw peerLost(this.remoteLabel, 'transport closed')
    checkFrame(frame)
    const peer = this.#peer
    if (peer !== undefined) peer.#enqueue(frame.slice())
  }

  close (): void {
    if (!this.finish()) return
    // why: like SCTP's graceful shutdown, frames already sent still reach the remote before it sees the close
    const peer = this.#peer
    this.#peer = undefined
    if (peer !== undefined) peer.#enqueue('close')
  }

  #enqueue (item: Uint8Array | 'close'): void {
    this.#inbox.push(item)
    if (this.#scheduled) return
    this.#scheduled = true
    queueMicrotask(() => this.#drain())
  }

  #drain (): void {
    this.#scheduled = false
    const items = this.#inbox
    this.#inbox = []
    for (const item of items) {
      if (item === 'close') {
        this.#peer = undefined
        this.finish(peerLost(this.remoteLabel, 'remote closed the connection'))
      } else {
        this.deliver(item)
      }
    }
  }
}
