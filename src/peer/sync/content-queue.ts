import type { Asset } from '../../objects/asset.js'
import type { ObjectId } from '../../objects/id.js'
import type { Workspace } from '../../repo/workspace.js'
import type { QueueClass } from '../../schedule/priority.js'
import type { QueueItem } from '../../schedule/transfer-queue.js'
import { openQueue } from '../../schedule/workspace-queue.js'
import { computeWantSet } from '../../sync/want-set.js'

/**
 * What a sync hands to the transfer queue when no window is open: the content its roots want,
 * one item per asset (its chunks travel together), and what the queue runner asks again later.
 */
export async function queueWantedContent (ws: Workspace, opts: { roots: ObjectId[], peers: string[], wantContent?: (path: string, asset: Asset) => boolean, contentOfHistory?: boolean, classOf?: (path: string) => QueueClass, now?: () => number }): Promise<QueueItem[]> {
  // why the policy's contentOfHistory: the queue holds what the sync would have fetched with a window open, no more (an older version's file queued here waited for good on a serve that never fetches history)
  const set = await computeWantSet({ store: ws.store, roots: opts.roots, wantContent: opts.wantContent, contentOfHistory: opts.contentOfHistory })
  const byAsset = new Map<ObjectId, QueueItem>()
  const addedAt = new Date(opts.now?.() ?? Date.now()).toISOString()
  for (const want of set.content) {
    const id = want.asset ?? want.id
    const item = byAsset.get(id) ?? { id, path: want.path ?? id, bytes: 0, class: opts.classOf?.(want.path ?? '') ?? 'other', peers: opts.peers, addedAt }
    item.bytes += want.size ?? 0
    byAsset.set(id, item)
  }
  const items = [...byAsset.values()]
  if (items.length > 0) await (await openQueue(ws)).add(items)
  return items
}

/**
 * The queued items `peer` brought (its sync left them for a window), for a serve to fetch over that
 * member's session while content may move: the queue's own runs join the tracker on their own and
 * miss a member whose sync lasts a second. None while the queue is paused.
 */
export async function queuedFrom (ws: Workspace, peer: string): Promise<ObjectId[]> {
  const queue = await openQueue(ws).catch(() => undefined)
  if (queue === undefined || queue.paused) return []
  return queue.list().filter((item) => item.peers.includes(peer)).map((item) => item.id)
}

/** Removes from the queue the items among `ids` whose content is all stored now; returns them. */
export async function dropArrived (ws: Workspace, ids: ObjectId[]): Promise<ObjectId[]> {
  const arrived = await arrivedItems(ws, ids)
  if (arrived.length > 0) await (await openQueue(ws)).remove(arrived)
  return arrived
}

/** The queued items whose content is all stored now. */
async function arrivedItems (ws: Workspace, ids: ObjectId[]): Promise<ObjectId[]> {
  const arrived: ObjectId[] = []
  for (const id of ids) {
    const set = await computeWantSet({ store: ws.store, roots: [id], history: false })
    if (set.complete && set.content.length === 0) arrived.push(id)
  }
  return arrived
}
