import type { PeerSyncResult } from '../peer/sync/peer-node.js'

/**
 * One report for a sync that ran a second pass because the first brought new rules (a `.gasrules`
 * or a role change decides which content is wanted, and the first pass fetched under the old one):
 * counts add up, refs, merge and conflicts are the first pass's (the second moves none), what is
 * missing is the second's, and the files the second pass wrote leave the checkout's skipped list.
 */
export function combineSyncPasses (first: PeerSyncResult, second: PeerSyncResult, writtenBySecond: { head: string | undefined, paths: string[] }): PeerSyncResult {
  const written = new Set(writtenBySecond.paths)
  const head = writtenBySecond.head
  const checkout = first.checkout === null
    ? (written.size === 0 || head === undefined ? null : { version: head, written: [...written], removed: [], skipped: [], conflicts: [] })
    : { ...first.checkout, written: [...first.checkout.written, ...written], skipped: first.checkout.skipped.filter((s) => !written.has(s.path)) }
  return {
    ...second,
    fetched: { objects: first.fetched.objects + second.fetched.objects, bytes: first.fetched.bytes + second.fetched.bytes },
    sent: { objects: first.sent.objects + second.sent.objects, bytes: first.sent.bytes + second.sent.bytes },
    wire: { sent: first.wire.sent + second.wire.sent, received: first.wire.received + second.wire.received },
    fetchSeconds: first.fetchSeconds + second.fetchSeconds,
    conflicts: first.conflicts,
    refs: [...first.refs, ...second.refs.filter((r) => r.action !== 'up-to-date')],
    // the second pass is refused the same refs again: each once
    rejected: [...first.rejected, ...second.rejected.filter((r) => !first.rejected.some((f) => f.ref === r.ref && f.id === r.id && f.peer === r.peer))],
    accessDenied: [...first.accessDenied, ...second.accessDenied],
    dropped: [...first.dropped, ...second.dropped],
    merge: first.merge ?? second.merge,
    checkout,
    routes: first.routes,
    locks: first.locks ?? second.locks
  }
}
