import type { ObjectId } from '../objects/id.js'
import type { ObjectStore } from '../objects/store.js'
import { readVersion } from './tree-io.js'
import type { Workspace } from './workspace.js'
import { readPendingHeads } from './pending-heads.js'

/**
 * How far HEAD is from one peer's last advertised head of this branch (what sync recorded in
 * refs/remotes/<peer>/heads/<branch>): `ahead` versions HEAD has that the peer's head lacks,
 * `behind` the other way, as `git status` counts against an upstream. Null counts when a
 * version of either history is not in the store.
 */
export interface PeerHeadDistance {
  peer: string
  head: ObjectId
  ahead: number | null
  behind: number | null
  /** a newer head of theirs the last sync saw but could not apply (not all of it arrived): pending-heads.ts */
  pending?: ObjectId
}

/** Every ancestor of `id`, itself included; undefined when part of the history is not here. */
async function history (store: ObjectStore, id: ObjectId | undefined): Promise<Set<ObjectId> | undefined> {
  const seen = new Set<ObjectId>()
  if (id === undefined) return seen
  const queue = [id]
  seen.add(id)
  try {
    while (queue.length > 0) {
      for (const parent of (await readVersion(store, queue.pop()!)).parents) {
        if (!seen.has(parent)) { seen.add(parent); queue.push(parent) }
      }
    }
  } catch {
    return undefined // a peer advertised a head whose versions never arrived: the distance is unknown, not an error
  }
  return seen
}

export async function peerHeadDistances (ws: Workspace): Promise<PeerHeadDistance[]> {
  const suffix = `/heads/${ws.config.branch}`
  const remotes = (await ws.refs.list('refs/remotes/')).filter((r) => r.name.endsWith(suffix))
  const pending = await readPendingHeads(ws)
  // a peer seen only by a sync that did not complete: no remote view yet, its head pending
  const viewless = Object.keys(pending).filter((peer) => !remotes.some((r) => r.name === `refs/remotes/${peer}${suffix}`))
  if (remotes.length === 0 && viewless.length === 0) return []
  const head = await ws.head()
  const ours = await history(ws.store, head)
  const out: PeerHeadDistance[] = []
  for (const remote of remotes) {
    const peer = remote.name.slice('refs/remotes/'.length, -suffix.length)
    const theirs = remote.id === head ? ours : await history(ws.store, remote.id)
    // pending until it is here: a sync with another peer may have brought that head since
    const waiting = pending[peer] !== undefined && pending[peer] !== remote.id && ours?.has(pending[peer]) !== true ? { pending: pending[peer] } : {}
    if (ours === undefined || theirs === undefined) { out.push({ peer, head: remote.id, ahead: null, behind: null, ...waiting }); continue }
    let ahead = 0
    let behind = 0
    for (const id of ours) if (!theirs.has(id)) ahead++
    for (const id of theirs) if (!ours.has(id)) behind++
    out.push({ peer, head: remote.id, ahead, behind, ...waiting })
  }
  for (const peer of viewless) if (ours?.has(pending[peer]) !== true) out.push({ peer, head: pending[peer], ahead: null, behind: null, pending: pending[peer] })
  return out.sort((a, b) => (a.peer < b.peer ? -1 : a.peer > b.peer ? 1 : 0))
}
