import type { Clock } from '../../clock.js'
import type { PeerSession } from '../session/session.js'

/** why: how often a lingering sync looks whether its peers are done; a frame resets the idle clock, so this only bounds the wait's slack */
const LINGER_POLL_MS = 250

/** Says "done" to every peer, then serves them until each says done, closes, or goes quiet; `onTick` at each look (a progress bar: what they take). */
export async function linger (sessions: PeerSession[], clock: Clock, idleMs: number, onTick?: () => void): Promise<void> {
  await Promise.all(sessions.map(async (session) => await session.sendDone().catch(() => {})))
  if (idleMs <= 0) return
  await Promise.all(sessions.map(async (session) => await new Promise<void>((resolve) => {
    let lastBytes = session.ledger.wireBytesReceived
    let lastHeard = clock.now()
    let cancel = (): void => {}
    const check = (): void => {
      if (session.closed || (session.remoteDone && session.queuedWants === 0)) return resolve()
      if (session.ledger.wireBytesReceived !== lastBytes) {
        lastBytes = session.ledger.wireBytesReceived
        lastHeard = clock.now()
      }
      if (clock.now() - lastHeard > idleMs) return resolve()
      onTick?.()
      cancel = clock.after(LINGER_POLL_MS, check)
    }
    session.onRemoteDone(() => { cancel(); check() })
    session.onClose(() => { cancel(); resolve() })
    check()
  })))
}

