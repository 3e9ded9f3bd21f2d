import { GasError } from '../../errors.js'

/** Largest frame any transport carries. */
export const MAX_FRAME = 64 * 1024 // why: node-datachannel/SCTP messages above 64 KiB are not portable and hurt interleaving
/**
 * Largest frame a stream transport (TCP) carries, to a peer whose HELLO lists 'large-frames'.
 * why: a stream has no message size limit of its own; 1 MiB frames carry ~16 average chunks whole
 * (no reassembly copy, 16x fewer frames to parse), while one frame's buffer stays small.
 */
export const LARGE_FRAME = 1024 * 1024

/**
 * A reliable, ordered, message-framed link to one remote peer. Implementations: `MemoryTransport`
 * (tests), `SimulatedLink` (bandwidth/latency/loss), `webrtcTransport` (real data channel).
 */
export interface Transport {
  /** Sends one frame (≤ MAX_FRAME). Resolves when the transport can take more (backpressure); rejects with E_PEER_LOST once closed. */
  send (frame: Uint8Array): Promise<void>
  /**
   * Frames that arrived before the first listener is registered are held and handed to it.
   * `lease`, when the transport reuses its receive buffers: see FrameLease.
   */
  onFrame (cb: (frame: Uint8Array, lease?: FrameLease) => void): void
  /** `err` is undefined when this side called close(); otherwise it says why (E_PEER_LOST). Fires once; late listeners are called right away. */
  onClose (cb: (err?: Error) => void): void
  close (): void
  readonly closed: boolean
  /** true when send() has copied the frame by the time it returns, so the caller may reuse the buffer */
  readonly copiesFrames?: boolean
  /** the largest frame this transport carries both ways (default MAX_FRAME); frames over MAX_FRAME go only to a peer that said 'large-frames' */
  readonly maxFrameBytes?: number
  /**
   * Sends one frame of at most `maxBytes` that `encode` writes straight into the transport's
   * output buffer and returns the length of (undefined: send nothing after all); the same
   * backpressure as send(). Present where that saves a copy per frame (a stream transport), so a
   * sender need not encode into a buffer of its own.
   */
  sendInto?: (maxBytes: number, encode: (into: Uint8Array) => number | undefined) => Promise<void>
  /** stable label of the remote side, for logs/ledgers */
  readonly remoteLabel: string
}

/**
 * A received frame whose buffer the transport may reuse. A listener that keeps the frame (or views
 * of it) past its return calls `hold()` and the returned release once done; the buffer is reused
 * when every hold is released, and only if some listener held it (a listener that ignores the
 * lease keeps the frame for good, as with transports that have no lease).
 * why: a fast stream otherwise allocates a fresh buffer per frame, 1 GiB of garbage per GiB received
 */
export interface FrameLease {
  hold (): () => void
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
  #frameListeners: Array<(frame: Uint8Array, lease?: FrameLease) => void> = []
  #closeListeners: Array<(err?: Error) => void> = []
  // why: the remote may speak before the session has registered its handler (same tick as connect)
  #backlog: Uint8Array[] = []

  constructor (remoteLabel: string) {
    this.remoteLabel = remoteLabel
  }

  get closed (): boolean { return this.#closed }
  /** why the transport closed, when it was lost rather than closed by us */
  protected get closeError (): Error | undefined { return this.#closeError }

  abstract send (frame: Uint8Array): Promise<void>
  abstract close (): void

  onFrame (cb: (frame: Uint8Array, lease?: FrameLease) => void): void {
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

  /** `lease`: the caller reuses the frame's buffer once nobody holds it (a backlogged frame is held for good). */
  protected deliver (frame: Uint8Array, lease?: FrameLease): void {
    if (this.#closed) return
    if (this.#frameListeners.length === 0) {
      this.#backlog.push(frame)
      return
    }
    for (const cb of this.#frameListeners) cb(frame, lease)
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
