import { GasError } from '../../errors.js'

/** Largest frame any transport carries. */
export const MAX_FRAME = 64 * 1024 // why: node-datachannel/SCTP messages above 64 KiB are not portable and hurt interleaving

/**
 * A reliable, ordered, message-framed link to one remote peer. Implementations: `MemoryTransport`
 * (tests), `SimulatedLink` (bandwidth/latency/loss), `webrtcTransport` (real data channel).
 */
export interface Transport {
  /** Sends one frame (≤ MAX_FRAME). Resolves when the transport can take more (backpressure); rejects with E_PEER_LOST once closed. */
  send (frame: Uint8Array): Promise<void>
  /** Frames that arrived before the first listener is registered are held and handed to it. */
  onFrame (cb: (frame: Uint8Array) => void): void
  /** `err` is undefined when this side called close(); otherwise it says why (E_PEER_LOST). Fires once; late listeners are called right away. */
  onClose (cb: (err?: Error) => void): void
  close (): void
  readonly closed: boolean
  /** true when send() has copied the frame by the time it returns, so the caller may reuse the buffer */
  readonly copiesFrames?: boolean
  /** stable label of the remote side, for logs/ledgers */
  readonly remoteLabel: string
}

export function peerLost (remoteLabel: string, why: string): GasError {
  return new GasError('E_PEER_LOST', `connection to ${remoteLabel} lost: ${why}; the transfer resumes when a peer is reachable again`, { remoteLabel })
}

export function checkFrame (frame: Uint8Array): void {
  if (!(frame instanceof Uint8Array)) throw GasError.badArgument('frame must be a Uint8Array')
  if (frame.byteLength > MAX_FRAME) throw GasError.frameLength(`frame of ${frame.byteLength} bytes exceeds MAX_FRAME (${MAX_FRAME})`)
}

/**
 * Listener bookkeeping shared by every transport: frames held until a listener exists, close
 * reported exactly once. Subclasses call `deliver` and `finish`.
 */
export abstract class TransportBase implements Transport {
  readonly remoteLabel: string
  #closed = false
  #closeError: Error | undefined
  #frameListeners: Array<(frame: Uint8Array) => void> = []
  #closeListeners: Array<(err?: Error) => void> = []
  // why: the remote may speak before the session has registered its handler (same tick as connect)
  #backlog: Uint8Array[] = []

  constructor (remoteLabel: string) {
    this.remoteLabel = remoteLabel
  }

  get closed (): boolean { return this.#closed }

  abstract send (frame: Uint8Array): Promise<void>
  abstract close (): void

  onFrame (cb: (frame: Uint8Array) => void): void {
    this.#frameListeners.push(cb)
    if (this.#backlog.length > 0) {
      const held = this.#backlog
      this.#backlog = []
      for (const frame of held) cb(frame)
    }
  }

  onClose (cb: (err?: Error) => void): void {
    if (this.#closed) {
      const err = this.#closeError
      queueMicrotask(() => cb(err))
      return
    }
    this.#closeListeners.push(cb)
  }

  protected deliver (frame: Uint8Array): void {
    if (this.#closed) return
    if (this.#frameListeners.length === 0) {
      this.#backlog.push(frame)
      return
    }
    for (const cb of this.#frameListeners) cb(frame)
  }

  /** Marks the transport closed and tells listeners once; later calls are ignored. */
  protected finish (err?: Error): boolean {
    if (this.#closed) return false
    this.#closed = true
    this.#closeError = err
    this.#backlog = []
    const listeners = this.#closeListeners
    this.#closeListeners = []
    this.#frameListeners = []
    for (const cb of listeners) cb(err)
    return true
  }
}
