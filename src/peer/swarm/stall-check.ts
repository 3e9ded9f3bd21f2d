import { GasError } from '../../errors.js'
import type { Member } from './request-picker.js'

/**
 * Drops the members that keep the swarm waiting: silent for `stallMs` while we wait on them
 * (nothing received at all), or holding one request past `requestMs` while answering others (not
 * silent, so the first check never fires for them). The other members then take their requests.
 */
export function closeStalled (members: Iterable<Member>, now: number, stallMs: number, requestMs: number): void {
  for (const m of members) {
    const received = m.session.ledger.wireBytesReceived
    if (received !== m.lastBytes) {
      m.lastBytes = received
      m.lastHeard = now
    }
    const waiting = m.window.inFlightCount > 0 || m.asking > 0
    if (m.alive && waiting && now - m.lastHeard > stallMs) {
      m.session.close(new GasError('E_TIMEOUT', `${m.session.name} sent nothing for ${stallMs} ms while we waited; asking other peers`, { peer: m.session.name }))
      continue
    }
    const oldest = m.window.oldestSentAt
    if (m.alive && oldest !== undefined && now - oldest > requestMs) {
      m.session.close(new GasError('E_TIMEOUT', `${m.session.name} left a request unanswered for ${requestMs} ms; dropped, asking other peers`, { peer: m.session.name, held: true }))
    }
  }
}
