import type { Clock } from '../../clock.js'
import type { Transport } from '../transport/transport.js'

/**
 * WebRTC connections held back, without a HELLO, while the direct path to the same process is
 * tried. The tracker hands a peer both at once (the direct announce rides on the WebRTC answer),
 * and both used to reach HELLO: the WebRTC session then ran beside the TCP one until it was
 * replaced, and its close showed as a lost peer on the serving side. Held, the connection is
 * closed unused once the direct session is up, and used as before when the direct attempt
 * fails or takes longer than `waitMs` (an address that does not answer: the WebRTC session
 * starts then, and the direct one still replaces it if it comes).
 */
export class HeldForDirect {
  readonly #held = new Map<string, { transport: Transport, release: () => void }>()
  readonly #clock: Clock
  readonly #waitMs: number

  constructor (opts: { clock: Clock, waitMs: number }) {
    this.#clock = opts.clock
    this.#waitMs = opts.waitMs
  }

  /** connections held now */
  get size (): number { return this.#held.size }

  /**
   * Holds `transport` (from the process `remote`, a tracker peer id) until `spare` or `release`
   * for it, or `waitMs` (this one's, else the holder's); `use` is called when it is to be used
   * after all, `settled` once it is no longer held whatever the outcome (closed by the other side too).
   */
  hold (remote: string, transport: Transport, use: () => void, settled: () => void, waitMs = this.#waitMs): void {
    // one held per process: a newer one replaces an older (the tracker keeps one per remote anyway)
    this.spare(remote)
    let done = false
    // why use before settled: a wait that counts held connections must see the handshake start before this one stops counting
    const finish = (used: boolean): void => {
      if (done) return
      done = true
      cancel()
      if (this.#held.get(remote)?.transport === transport) this.#held.delete(remote)
      if (used) use()
      settled()
    }
    const release = (): void => finish(true)
    const cancel = this.#clock.after(waitMs, release)
    this.#held.set(remote, { transport, release })
    transport.onClose(() => finish(false))
  }

  /** The direct session to `remote` is up: its held WebRTC connection is not needed. */
  spare (remote: string): void {
    const held = this.#held.get(remote)
    if (held === undefined) return
    this.#held.delete(remote)
    held.transport.close()
  }

  /** The direct attempt to `remote` failed: its held connection is used after all. */
  release (remote: string): void {
    this.#held.get(remote)?.release()
  }

  /** No more waiting for peers: what is still held is not needed. */
  closeAll (): void {
    for (const remote of [...this.#held.keys()]) this.spare(remote)
  }
}
