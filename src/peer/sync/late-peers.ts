import type { RefStore } from '../../refs/ref-store.js'
import type { PeerSession } from '../session/session.js'
import { isAdvertisedRef } from './ref-exchange.js'

/**
 * Peers that reach a sync after it chose its peers (another member's sync that started a moment
 * later): served while we run, not fetched from. Each gets our refs, so it can fetch what we have
 * ahead, and DONE at once, so it knows we want nothing of it; all are closed when we leave.
 * why: such a session was opened and never used: no refs, no DONE, so the other side waited for
 * our refs, listed us as lost when we ended, and our sync listed a route to a peer it never synced with.
 */
export class LatePeers {
  readonly #sessions: PeerSession[] = []

  constructor (private readonly refs: RefStore) {}

  add (session: PeerSession): void {
    this.#sessions.push(session)
    void (async () => {
      const ours = (await this.refs.list()).filter((ref) => isAdvertisedRef(ref.name))
      await session.advertiseRefs(ours)
      await session.sendDone()
    })().catch(() => {})
  }

  closeAll (): void {
    for (const session of this.#sessions.splice(0)) session.close()
  }
}
