import { describe, expect, it } from 'vitest'
import { followedUp, joinUpdates, needsFollowUp } from '../../src/peer/sync/follow-up.js'
import type { RefOutcome } from '../../src/peer/sync/ref-exchange.js'
import type { PeerReport, SyncResult } from '../../src/peer/sync/sync-engine.js'

const A = 'a'.repeat(64)
const M = 'b'.repeat(64)
const peer = (name: string, bytes: number): PeerReport => ({ name, objectsSent: 0, objectsReceived: bytes / 10, bytesSent: 0, bytesReceived: bytes, wireBytesSent: 1, wireBytesReceived: bytes + 1, receiveRate: 0 })
const outcome = (action: RefOutcome['action'], remote: string, peerName = 'ana'): RefOutcome => ({ ref: 'refs/heads/main', action, local: A, remote, remoteRef: `refs/remotes/${peerName}/heads/main` })

function result (parts: Partial<SyncResult>): SyncResult {
  return {
    fetched: { objects: 0, bytes: 0 }, sent: { objects: 0, bytes: 0 }, wire: { sent: 0, received: 0 }, peers: 0, conflicts: [], refs: [], missing: [], missingBytes: 0,
    missingPaths: [], accessDenied: [], ownProcesses: 0, dropped: [], duplicates: 0, perPeer: [], fetchSeconds: 0, roots: [], historyLeftOut: { files: 0, bytes: 0 }, rejected: [], ...parts
  }
}

describe('a sync\'s follow-up round, for a peer whose branch moved while we lingered', () => {
  it('runs only after a "moved"; a fast-forward to the moved value reads taken-into; the ledgers are the sessions\' latest', () => {
    const first = result({ peers: 2, refs: [outcome('moved', A), outcome('ahead', A, 'bo')], perPeer: [peer('ana', 100), peer('bo', 50)], duplicates: 1, fetchSeconds: 1, dropped: [{ peer: 'x', code: 'E_PEER_LOST', message: 'gone' }] })
    expect(needsFollowUp(first)).toBe(true)
    expect(needsFollowUp(result({ refs: [outcome('delivered', A)] }))).toBe(false)
    const second = result({ peers: 1, refs: [outcome('fast-forward', M), outcome('up-to-date', A, 'bo'), { ...outcome('created', M), ref: 'refs/tags/v1' }], perPeer: [peer('ana', 300)], duplicates: 2, fetchSeconds: 0.5 })
    const both = followedUp(first, second)
    expect(both.refs.map((r) => [r.ref, r.action, r.remote])).toEqual([['refs/heads/main', 'taken-into', M], ['refs/heads/main', 'ahead', A], ['refs/tags/v1', 'created', M]])
    expect(both.peers).toBe(2)
    expect(both.fetched).toEqual({ objects: 35, bytes: 350 })
    expect(both.duplicates).toBe(3)
    expect(both.fetchSeconds).toBe(1.5)
    expect(both.dropped).toHaveLength(1)
    // the second round did not fast-forward (it diverged again): the first stays "moved", the second's outcome is added
    const diverged = followedUp(first, result({ refs: [outcome('conflict', M)] }))
    expect(diverged.refs.map((r) => r.action)).toEqual(['moved', 'ahead', 'conflict'])
  })

  it('the workspace as both rounds left it', () => {
    const checkout = (version: string, written: string[], removed: string[]): { version: string, written: string[], removed: string[], skipped: [], conflicts: [] } => ({ version, written, removed, skipped: [], conflicts: [] })
    const first = { checkout: checkout(A, ['a.png', 'b.png'], ['old.png']), merge: null }
    const second = { checkout: checkout(M, ['old.png', 'c.png'], ['b.png']), merge: null }
    expect(joinUpdates(first, second)?.checkout).toEqual(checkout(M, ['a.png', 'old.png', 'c.png'], ['b.png']))
    expect(joinUpdates(undefined, second)).toBe(second)
    expect(joinUpdates(first, undefined)).toBe(first)
    expect(joinUpdates(first, { checkout: null, merge: null })?.checkout).toEqual(first.checkout)
  })
})
