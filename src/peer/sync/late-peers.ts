import type { Clock } from '../../clock.js'
import type { RefStore } from '../../refs/ref-store.js'
import type { PeerSession } from '../session/session.js'
import { linger } from './linger.js'
import { isAdvertisedRef } from './ref-exchange.js'

/** why: as a `gas sync` lingers for its own peers (SYNC_LINGER_IDLE_MS): a late peer still fetching is served until it is done or quiet this long */
export const LATE_LINGER_IDLE_MS = 5_000

/**
 * Peers that reach a sync after it chose its peers (another member's sync that started a moment
 * later): served while we run, not fetched from. Each gets our refs, so it can fetch what we have
 * ahead, and DONE at once, so it knows we want nothing of it; when we leave, we serve those still
 * fetching until they say done (or go quiet), then close them all.
 * why: such a session was opened and never used: no refs, no DONE, so the other side waited for
 * our refs, listed us as lost when we ended, and our sync listed a route to a peer it never synced with.
 */
export class LatePeers {
  readonly #sessions: PeerSession[] = []

  constructor (private readonly refs: RefStore, private readonly clock: Clock) {}

  add (session: PeerSession): void {
    this.#sessions.push(session)
    void (async () => {
      const ours = (await this.refs.list()).filter((ref) => isAdvertisedRef(ref.name))
      await session.advertiseRefs(ours)
      await session.sendDone()
    })().catch(() => {})
  }

  /** Serves the late peers until each is done, closed or quiet for `idleMs`, then closes them. */
  async leave (idleMs = LATE_LINGER_IDLE_MS): Promise<void> {
    const sessions = this.#sessions.splice(0)
    if (idleMs > 0) await linger(sessions.filter((s) => !s.closed), this.clock, idleMs)
    for (const session of sessions) session.close()
  }
}
