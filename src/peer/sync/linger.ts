import type { Clock } from '../../clock.js'
import type { PeerSession, Unsubscribe } from '../session/session.js'

/** why: how often a lingering sync looks whether its peers are done; a frame resets the idle clock, so this only bounds the wait's slack */
const LINGER_POLL_MS = 250
/**
 * why: a serve taking other members' versions before ours says BUSY every few seconds, so we wait
 * our turn rather than leave at the idle time; this long at most (another member's 10 GB at
 * 35 MB/s), then we leave and the next sync offers ours again
 */
export const TURN_WAIT_MS = 5 * 60_000

/** A peer that takes our versions after other members': its name and how many are before us. */
export interface WaitingTurn { peer: string, ahead: number }

/**
 * Says "done" to every peer, then serves them until each says done, closes, or goes quiet;
 * `onTick` at each look, with the peers whose turn we wait for (a progress bar: what they take).
 */
export async function linger (sessions: PeerSession[], clock: Clock, idleMs: number, onTick?: (waiting: WaitingTurn[]) => void): Promise<void> {
  await Promise.all(sessions.map(async (session) => await session.sendDone().catch(() => {})))
  if (idleMs <= 0) return
  const waiting = (): WaitingTurn[] => sessions.filter((s) => !s.closed && (s.remoteBusy ?? 0) > 0).map((s) => ({ peer: s.name, ahead: s.remoteBusy! }))
  // one look for the bar per poll, whatever the number of peers
  let stopTicks = (): void => {}
  const tick = (): void => {
    onTick?.(waiting())
    stopTicks = clock.after(LINGER_POLL_MS, tick)
  }
  if (onTick !== undefined) tick()
  try {
    await Promise.all(sessions.map(async (session) => await lingerFor(session, clock, idleMs)))
  } finally {
    stopTicks()
  }
}

/** Until the peer says done (and its asks are served), closes, sends nothing for `idleMs`, or keeps us waiting our turn past TURN_WAIT_MS. */
async function lingerFor (session: PeerSession, clock: Clock, idleMs: number): Promise<void> {
  let lastBytes = session.ledger.wireBytesReceived
  let lastHeard = clock.now()
  let busySince: number | undefined
  let cancel = (): void => {}
  const listening: Unsubscribe[] = []
  await new Promise<void>((resolve) => {
    const check = (): void => {
      if (session.closed || (session.remoteDone && session.queuedWants === 0)) return resolve()
      if (session.ledger.wireBytesReceived !== lastBytes) {
        lastBytes = session.ledger.wireBytesReceived
        lastHeard = clock.now()
      }
      if (clock.now() - lastHeard > idleMs) return resolve()
      if (busySince !== undefined && (session.remoteBusy ?? 0) > 0 && clock.now() - busySince > TURN_WAIT_MS) return resolve()
      cancel = clock.after(LINGER_POLL_MS, check)
    }
    listening.push(
      session.onBusy(() => { busySince ??= clock.now() }),
      session.onRemoteDone(() => { cancel(); check() }),
      session.onClose(() => { cancel(); resolve() })
    )
    check()
  })
  cancel()
  for (const off of listening) off()
}
