import type { ObjectId } from '../objects/id.js'
import type { ObjectStore } from '../objects/store.js'
import { readVersion } from './tree-io.js'
import type { Workspace } from './workspace.js'
import { readPendingHeads } from './pending-heads.js'
import { readArrivingHeads } from './arriving-heads.js'

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
  /** a newer head of theirs whose content a running sync (`syncPid`) fetches now; its history and previews are here: arriving-heads.ts */
  arriving?: ObjectId
  syncPid?: number
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
  const arriving = await readArrivingHeads(ws)
  // a peer seen only by a sync that did not complete, or one still running: no remote view yet
  const viewless = [...new Set([...Object.keys(pending), ...Object.keys(arriving?.heads ?? {})])].filter((peer) => !remotes.some((r) => r.name === `refs/remotes/${peer}${suffix}`))
  if (remotes.length === 0 && viewless.length === 0) return []
  const head = await ws.head()
  const ours = await history(ws.store, head)
  /** what is on its way from `peer` beyond `view`: a running sync's head first (it supersedes an incomplete one's), until it is here */
  const onItsWay = (peer: string, view: ObjectId | undefined): Pick<PeerHeadDistance, 'pending' | 'arriving' | 'syncPid'> => {
    const coming = arriving?.heads[peer]
    if (coming !== undefined && coming !== view && ours?.has(coming) !== true) return { arriving: coming, syncPid: arriving!.pid }
    const waiting = pending[peer]
    return waiting !== undefined && waiting !== view && ours?.has(waiting) !== true ? { pending: waiting } : {}
  }
  const out: PeerHeadDistance[] = []
  for (const remote of remotes) {
    const peer = remote.name.slice('refs/remotes/'.length, -suffix.length)
    const theirs = remote.id === head ? ours : await history(ws.store, remote.id)
    const waiting = onItsWay(peer, remote.id)
    if (ours === undefined || theirs === undefined) { out.push({ peer, head: remote.id, ahead: null, behind: null, ...waiting }); continue }
    let ahead = 0
    let behind = 0
    for (const id of ours) if (!theirs.has(id)) ahead++
    for (const id of theirs) if (!ours.has(id)) behind++
    out.push({ peer, head: remote.id, ahead, behind, ...waiting })
  }
  for (const peer of viewless) {
    const waiting = onItsWay(peer, undefined)
    const id = waiting.arriving ?? waiting.pending
    if (id !== undefined) out.push({ peer, head: id, ahead: null, behind: null, ...waiting })
  }
  return out.sort((a, b) => (a.peer < b.peer ? -1 : a.peer > b.peer ? 1 : 0))
}
