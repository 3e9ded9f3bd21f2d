import type { FetchResult, WantRequest } from './swarm.js'
import type { PeerSession } from '../session/session.js'
import { UNKNOWN_SIZE_ESTIMATE, type PeerWindow } from '../session/want-manager.js'
import { RECENTLY_DONE } from './swarm-options.js'
import type { ObjectId } from '../../objects/id.js'

/**
 * Which object to ask which peer for next: rarest first within a priority, then, once a peer is
 * idle, the end game. The swarm's bookkeeping types live here too, as both sides read them.
 */

/** why: ≈ two average chunks per peer of a three-seeder swarm: duplicates then cost at most 8 × 64 KiB, yet a slow peer's last requests no longer decide when the transfer ends */
export const ENDGAME_ITEMS = 8
/** why: an idle peer also duplicates a request stuck at a peer expected to take this many times longer than itself: a slow peer's first window (before its rate is known) must not hold up the end */
export const SLOW_PEER_FACTOR = 4
export interface Item {
  id: ObjectId
  priority: number
  size: number | undefined
  seq: number
  done: boolean
  /** received, waiting for verification */
  verifying: number
  /** peers known to have it; small arrays, not Sets: a 4 GiB asset has 65 000 items */
  holders: Member[]
  /** peers asked (WANT have) that have not answered */
  asking: Member[]
  /** peers it is requested from */
  inFlight: Member[]
  /** peers that refused it to us (access denied), by name */
  deniedBy?: string[]
}

export interface Member {
  session: PeerSession
  window: PeerWindow
  alive: boolean
  candidates: Item[]
  cursor: number
  dirty: boolean
  asking: number
  lastHeard: number
  lastBytes: number
  /** takes the swarm's listeners off the session (Swarm.detach) */
  unsubscribe: () => void
}

export interface Job {
  /** the wants in play; a fetch fed as it goes (`fed`) forgets each once done */
  items: Map<ObjectId, Item>
  probe: boolean
  /** items not done */
  remaining: number
  /** items ever added (the request order of the next one) */
  added: number
  /** the next wants, while there are more (FetchOptions.more) */
  more: (() => WantRequest[]) | undefined
  fed: boolean
  /** ids of items done and forgotten lately: a copy arriving after is a duplicate */
  recentlyDone: Set<ObjectId>
  verifying: number
  verifyingBytes: number
  result: FetchResult
  totalBytes: number
  resolve: (result: FetchResult) => void
  reject: (err: Error) => void
  lastProgress: number
}

/** The next item to request from `m`, or undefined when its window is full or it has nothing useful. */
export function nextRequest (m: Member, job: Job, endGameItems: number): Item | undefined {
  if (m.dirty) {
    m.candidates = m.candidates.filter((item) => !item.done && item.holders.includes(m))
    // rarest first within a priority; request order breaks ties (file order for chunks)
    m.candidates.sort((a, b) => b.priority - a.priority || a.holders.length - b.holders.length || a.seq - b.seq)
    m.cursor = 0
    m.dirty = false
  }
  while (m.cursor < m.candidates.length) {
    const item = m.candidates[m.cursor]
    if (item.done || item.verifying > 0 || item.inFlight.length > 0 || !item.holders.includes(m)) {
      m.cursor++
      continue
    }
    return m.window.canRequest(item.size ?? UNKNOWN_SIZE_ESTIMATE) ? item : undefined
  }
  return endGame(m, job, endGameItems)
}

/**
 * End game: `m` is idle and everything it could fetch is in flight elsewhere. When only the last
 * few objects are left it asks for one of them too; before that, only for one stuck at a peer
 * that is expected to take SLOW_PEER_FACTOR times longer than `m`.
 */
function endGame (m: Member, job: Job, endGameItems: number): Item | undefined {
  if (m.window.inFlightCount > 0) return undefined
  // more wants to come: this is not the end yet
  const lateOnly = job.remaining > endGameItems || job.more !== undefined
  let best: Item | undefined
  for (const item of m.candidates) {
    if (item.done || item.verifying > 0 || item.inFlight.includes(m) || !item.holders.includes(m)) continue
    if (lateOnly && !stuckAtSlowerPeer(item, m)) continue
    if (best === undefined || item.inFlight.length < best.inFlight.length) best = item
  }
  return best
}

function stuckAtSlowerPeer (item: Item, m: Member): boolean {
  const mine = m.window.expectedMs(item.size ?? UNKNOWN_SIZE_ESTIMATE)
  if (!Number.isFinite(mine)) return false
  for (const holder of item.inFlight) {
    if (holder.window.expectedMs(0) <= SLOW_PEER_FACTOR * mine) return false
  }
  return item.inFlight.length > 0
}

export function newItem (want: WantRequest, seq: number): Item {
  return { id: want.id, priority: want.priority, size: want.size, seq, done: false, verifying: 0, holders: [], asking: [], inFlight: [] }
}

/**
 * A fetch fed as it goes forgets what is done, so its state stays that of the wants in play; a
 * late end-game copy of one is still counted as a duplicate (the last RECENTLY_DONE are remembered).
 */
export function forget (job: Job, item: Item): void {
  job.items.delete(item.id)
  if (job.recentlyDone.size >= RECENTLY_DONE) job.recentlyDone.clear()
  job.recentlyDone.add(item.id)
}

export function addMember (list: Member[], m: Member): void {
  if (!list.includes(m)) list.push(m)
}

export function removeMember (list: Member[], m: Member): boolean {
  const i = list.indexOf(m)
  if (i < 0) return false
  list.splice(i, 1)
  return true
}
