import { GasError } from '../../errors.js'
import type { ObjectStore } from '../../objects/store.js'
import { systemClock, type Clock } from '../../clock.js'
import { PeerSession, asGasError, randomIdentity, type PeerIdentity } from '../session/session.js'
import type { DroppedPeer } from '../swarm/swarm.js'
import type { Transport } from '../transport/transport.js'
import type { PeerSecurity } from './sync-engine.js'

/** The first step of a sync or a serve: HELLO over each transport, telling peers from our own processes. */

/** how long a serve keeps a connection from a process of its own member open for that process to close it */
export const OWN_PROCESS_CLOSE_MS = 5_000

/**
 * A session with a process of the same member (same key: its own `gas serve`, another command in
 * the same workspace): it has nothing to give and must not count as a peer.
 */
export function isOwnProcess (session: PeerSession, identity: PeerIdentity): boolean {
  return session.remote?.publicKey !== undefined && session.remote.publicKey === identity.publicKey
}

/**
 * Opens sessions over `transports`; the ones that fail the handshake are reported, not thrown,
 * and the ones with a process of our own member key are closed after HELLO (`own`).
 */
export async function openSessions (transports: Transport[], store: ObjectStore, security: PeerSecurity, clock: Clock = systemClock): Promise<{ sessions: PeerSession[], dropped: DroppedPeer[], own: number }> {
  const identity = security.identity ?? randomIdentity(security.peerName ?? 'gas')
  const settled = await Promise.allSettled(transports.map(async (transport) => await PeerSession.open({
    transport, store, identity, clock, sign: security.sign, verify: security.verify, mayServe: security.mayServe
  })))
  const sessions: PeerSession[] = []
  const dropped: DroppedPeer[] = []
  let own = 0
  settled.forEach((outcome, i) => {
    if (outcome.status === 'fulfilled' && isOwnProcess(outcome.value, identity)) {
      outcome.value.close()
      own++
    } else if (outcome.status === 'fulfilled') sessions.push(outcome.value)
    else {
      const err = asGasError(outcome.reason) ?? GasError.protocol('handshake failed')
      dropped.push({ peer: transports[i].remoteLabel, code: err.code, message: err.message })
    }
  })
  return { sessions, dropped, own }
}
