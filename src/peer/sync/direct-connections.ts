import type { Transport } from '../transport/transport.js'

/**
 * The remote processes (tracker peer ids) connected to a serve over the direct path, counted
 * while a connection of theirs is open: the serve tells a WebRTC connection of the same process
 * that closes from a lost peer, since the process keeps the direct one and closes the other.
 */
export class DirectConnections {
  readonly #open = new Map<string, number>()

  add (remote: string, transport: Transport): void {
    this.#open.set(remote, (this.#open.get(remote) ?? 0) + 1)
    transport.onClose(() => {
      const left = (this.#open.get(remote) ?? 1) - 1
      if (left > 0) this.#open.set(remote, left)
      else this.#open.delete(remote)
    })
  }

  has (remote: string): boolean { return this.#open.has(remote) }
}
