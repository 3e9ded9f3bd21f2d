import { describe, expect, it } from 'vitest'
import { combineSyncPasses } from '../../src/cli/sync-passes.js'
import type { PeerSyncResult } from '../../src/peer/sync/peer-node.js'

function pass (over: Partial<PeerSyncResult>): PeerSyncResult {
  return {
    fetched: { objects: 0, bytes: 0 }, sent: { objects: 0, bytes: 0 }, wire: { sent: 0, received: 0 }, peers: 1, conflicts: [], refs: [], missing: [], missingBytes: 0,
    missingPaths: [], accessDenied: [], ownProcesses: 0, dropped: [], duplicates: 0, perPeer: [], fetchSeconds: 0, roots: [], rejected: [], complete: true, incomplete: null,
    trackers: [], checkout: null, merge: null, queued: { items: 0, bytes: 0, paths: [] }, routes: [], ...over
  } as PeerSyncResult
}

describe('a sync and the pass its new rules ran', () => {
  it('add up, keep the first pass\'s refs and checkout, take the files the second wrote off the skipped list, and say each refusal once', () => {
    const refused = { ref: 'refs/builds/x/1', id: 'b'.repeat(64), peer: 'bo', code: 'E_ACCESS_DENIED', message: 'no' }
    const first = pass({
      fetched: { objects: 3, bytes: 300 }, fetchSeconds: 1, rejected: [refused],
      refs: [{ ref: 'refs/heads/main', action: 'fast-forward', local: null, remote: 'a'.repeat(64), remoteRef: 'refs/remotes/ana/heads/main' }],
      checkout: { version: 'a'.repeat(64), written: ['.gasrules'], removed: [], skipped: [{ path: 'notes.txt', reason: 'content not here (selective sync)' }], conflicts: [] }
    })
    const second = pass({
      fetched: { objects: 2, bytes: 20 }, fetchSeconds: 0.5, rejected: [refused, { ...refused, peer: 'cy' }], missing: ['c'.repeat(64)], complete: false,
      refs: [{ ref: 'refs/heads/main', action: 'up-to-date', local: 'a'.repeat(64), remote: 'a'.repeat(64), remoteRef: 'refs/remotes/ana/heads/main' }]
    })
    const both = combineSyncPasses(first, second, { head: 'a'.repeat(64), paths: ['notes.txt'] })
    expect(both.fetched).toEqual({ objects: 5, bytes: 320 })
    expect(both.fetchSeconds).toBe(1.5)
    expect(both.refs.map((r) => r.action)).toEqual(['fast-forward'])
    expect(both.checkout).toEqual({ version: 'a'.repeat(64), written: ['.gasrules', 'notes.txt'], removed: [], skipped: [], conflicts: [] })
    expect(both.rejected.map((r) => r.peer)).toEqual(['bo', 'cy'])
    expect(both.complete).toBe(false) // what is missing is the second pass's
    expect(both.missing).toHaveLength(1)
  })

  it('a pass that moved nothing and a second that wrote files: a checkout at the head with those files', () => {
    const both = combineSyncPasses(pass({}), pass({}), { head: 'd'.repeat(64), paths: ['audio/hit.wav'] })
    expect(both.checkout).toEqual({ version: 'd'.repeat(64), written: ['audio/hit.wav'], removed: [], skipped: [], conflicts: [] })
    expect(combineSyncPasses(pass({}), pass({}), { head: 'd'.repeat(64), paths: [] }).checkout).toBeNull()
  })
})
