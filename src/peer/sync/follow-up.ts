import type { CheckoutResult } from '../../repo/checkout.js'
import type { PeerReport, SyncResult } from './sync-engine.js'
import type { RefOutcome } from './ref-exchange.js'
import type { WorkspaceUpdate } from './workspace-update.js'

/**
 * A sync's second round, on the sessions still open, when a peer's branch moved while we lingered
 * (a serve merged ours with work it took first): its new value fetched and adopted in the same
 * sync. why: the member was told "your next sync brings it" and stood diverged from the serve
 * until then, though the serve had just shown it the merge.
 */
export function needsFollowUp (result: SyncResult): boolean {
  return result.refs.some((r) => r.action === 'moved')
}

/**
 * The two rounds as one result: a ref that moved and was then fast-forwarded to the peer's value
 * is `taken-into` (the peer took ours into its merge, and we are at that merge); any other
 * outcome of the second round that changed something is added. Ledger figures are the sessions'
 * own (cumulative), so the second round's are the totals of the sessions it ran on.
 */
export function followedUp (first: SyncResult, second: SyncResult): SyncResult {
  const absorbed = new Set<RefOutcome>()
  const refs = first.refs.map((o): RefOutcome => {
    if (o.action !== 'moved') return o
    const then = second.refs.find((s) => s.ref === o.ref && s.remoteRef === o.remoteRef)
    if (then?.action !== 'fast-forward') return o
    absorbed.add(then)
    return { ...o, action: 'taken-into', remote: then.remote }
  })
  refs.push(...second.refs.filter((s) => !absorbed.has(s) && s.action !== 'up-to-date'))
  const perPeer = joinPeers(first.perPeer, second.perPeer)
  const sum = (key: 'objectsReceived' | 'bytesReceived' | 'objectsSent' | 'bytesSent' | 'wireBytesSent' | 'wireBytesReceived'): number => perPeer.reduce((total, p) => total + p[key], 0)
  return {
    ...second,
    fetched: { objects: sum('objectsReceived'), bytes: sum('bytesReceived') },
    sent: { objects: sum('objectsSent'), bytes: sum('bytesSent') },
    wire: { sent: sum('wireBytesSent'), received: sum('wireBytesReceived') },
    peers: first.peers,
    perPeer,
    refs,
    conflicts: [...first.conflicts, ...second.conflicts],
    accessDenied: [...first.accessDenied, ...second.accessDenied.filter((d) => !first.accessDenied.some((f) => f.path === d.path))],
    dropped: [...first.dropped, ...second.dropped],
    rejected: [...first.rejected, ...second.rejected],
    duplicates: first.duplicates + second.duplicates,
    fetchSeconds: first.fetchSeconds + second.fetchSeconds,
    ownProcesses: first.ownProcesses,
    locks: first.locks
  }
}

/** each peer's latest figures: the second round's where it ran, else the first's */
function joinPeers (first: PeerReport[], second: PeerReport[]): PeerReport[] {
  const later = new Map(second.map((p) => [p.name, p]))
  return first.map((p) => later.get(p.name) ?? p)
}

/** The workspace as both rounds left it: what either wrote or removed, the second's skips, conflicts and merge. */
export function joinUpdates (first: WorkspaceUpdate | undefined, second: WorkspaceUpdate | undefined): WorkspaceUpdate | undefined {
  if (first === undefined || second === undefined) return second ?? first
  return { checkout: joinCheckouts(first.checkout, second.checkout), merge: second.merge ?? first.merge }
}

function joinCheckouts (first: CheckoutResult | null, second: CheckoutResult | null): CheckoutResult | null {
  if (first === null || second === null) return second ?? first
  const union = (a: string[], b: string[]): string[] => [...new Set([...a, ...b])]
  return {
    ...second,
    written: union(first.written, second.written).filter((p) => !second.removed.includes(p)),
    removed: union(first.removed, second.removed).filter((p) => !second.written.includes(p))
  }
}
