import { GasError } from '../../errors.js'
import { matchesAnnounce, type DirectAnnounce } from './direct-announce.js'
import { connectDirect, parseHostPort, type DirectPeer } from './direct-handshake.js'
import type { DirectSecurity } from './direct-proof.js'
import { systemClock, type Clock } from '../../clock.js'

/**
 * Tries the direct path to peers, beside WebRTC: addresses from the config (any member may answer
 * there) and addresses a peer announced (only that process counts: a connection whose handshake
 * proves another key or process is closed, so a wrong or stale announce never stands in for the
 * peer). Each address is tried once per dialer; every attempt ends in `onPeer` or `onFailed`.
 */
export interface DirectDialerOptions {
  /** our process's peerId */
  peerId: string
  security: DirectSecurity
  clock?: Clock
  handshakeTimeoutMs?: number
  onPeer: (peer: DirectPeer, setupMs: number) => void
  /** `announcedBy`: the announcing process (HELLO peerId) the failed handshake was with, when dialed from its announce */
  onFailed?: (address: string, err: GasError, announcedBy?: string) => void
  /** an attempt started or ended (connectPeers waits for running attempts) */
  onChange?: () => void
}

export class DirectDialer {
  readonly #opts: DirectDialerOptions
  readonly #tried = new Set<string>()
  /** configured addresses dialed: the process (HELLO peerId) each reached, undefined when it failed */
  readonly #configured = new Map<string, Promise<string | undefined>>()
  /** processes (peerId) reached or being reached through an announce: whether an address of theirs answered as them */
  readonly #reaching = new Map<string, Promise<boolean>>()
  /** start times of the attempts under way, and the process an announced one is for */
  readonly #running = new Set<{ at: number, peerId?: string }>()
  #stopped = false

  constructor (opts: DirectDialerOptions) {
    this.#opts = opts
  }

  /** attempts under way */
  get running (): number { return this.#running.size }

  /** attempts under way that started less than `ms` ago, but for announced processes `skip` names */
  runningWithin (ms: number, skip: (peerId: string) => boolean = () => false): number {
    const now = (this.#opts.clock ?? systemClock).now()
    return [...this.#running].filter((a) => now - a.at < ms && !(a.peerId !== undefined && skip(a.peerId))).length
  }

  /** Dials addresses from the config or the command line: whichever member answers there. */
  dialConfigured (address: string): void {
    if (this.#stopped || this.#tried.has(address)) return
    this.#tried.add(address)
    let reached: string | undefined
    this.#configured.set(address, this.#attempt(address, undefined, (peer, setupMs) => {
      reached = peer.remote.peerId
      this.#deliver(peer, setupMs)
    }).then(() => reached))
  }

  /**
   * Dials every address of a remote's announce at once; the first whose handshake proves the
   * announcing process wins, the others are closed. An announce not signed by the key it names,
   * or for another team, is ignored. Resolves with whether the process was reached (undefined:
   * nothing to dial).
   */
  dialAnnounced (announce: DirectAnnounce): Promise<boolean> | undefined {
    if (this.#stopped || announce.peerId === this.#opts.peerId) return undefined
    const reaching = this.#reaching.get(announce.peerId)
    if (reaching !== undefined) return reaching
    if (!this.#opts.security.checkAnnounce(announce)) return undefined
    const addresses = announce.addresses.filter((a) => !this.#tried.has(`${announce.peerId}@${a}`))
    if (addresses.length === 0) return undefined
    for (const a of addresses) this.#tried.add(`${announce.peerId}@${a}`)
    let won = false
    const attempts = addresses.map(async (address) => {
      // why: an invite's address is often the one the tracker announces too; the configured attempt
      // already there, if it reached this very process, is its connection (a second one was dropped)
      const configured = this.#configured.get(address)
      if (configured !== undefined && await configured === announce.peerId) {
        won = true
        return
      }
      await this.#attempt(address, announce, (peer, setupMs) => {
        if (won) return peer.transport.close()
        won = true
        this.#deliver(peer, setupMs)
      })
    })
    // no address reached the process: a later announce of it may be tried again
    const outcome = Promise.all(attempts).then(() => {
      if (!won) this.#reaching.delete(announce.peerId)
      return won
    })
    this.#reaching.set(announce.peerId, outcome)
    return outcome
  }

  /** Stops dialing: connections that complete their handshake later are closed. */
  stop (): void {
    this.#stopped = true
  }

  #deliver (peer: DirectPeer, setupMs: number): void {
    if (this.#stopped) return peer.transport.close()
    this.#opts.onPeer(peer, setupMs)
  }

  /** `reached` is called before the attempt stops counting as running, so a waiter never sees a gap between the two */
  async #attempt (address: string, announce: DirectAnnounce | undefined, reached: (peer: DirectPeer, setupMs: number) => void): Promise<void> {
    const started = performance.now()
    const attempt = { at: (this.#opts.clock ?? systemClock).now(), peerId: announce?.peerId }
    this.#running.add(attempt)
    this.#opts.onChange?.()
    let answered = false
    try {
      const peer = await connectDirect(parseHostPort(address), { peerId: this.#opts.peerId, security: this.#opts.security, clock: this.#opts.clock, handshakeTimeoutMs: this.#opts.handshakeTimeoutMs })
      answered = true
      if (announce !== undefined && !matchesAnnounce(peer.remote, announce)) {
        peer.transport.close()
        throw new GasError('E_AUTH', `${address} was announced by ${announce.publicKey.slice(0, 16)}… but answered as ${peer.remote.name} (${peer.remote.publicKey.slice(0, 16)}…); not used for that peer`, { address })
      }
      if (this.#stopped) return peer.transport.close()
      reached(peer, performance.now() - started)
    } catch (err) {
      // why answered: a process that answered as someone else says nothing about the announced one
      this.#opts.onFailed?.(address, err instanceof GasError ? err : new GasError('E_PEER_LOST', String(err), { address }), answered ? undefined : announce?.peerId)
    } finally {
      this.#running.delete(attempt)
      this.#opts.onChange?.()
    }
  }
}
