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
export async function queueWantedContent (ws: Workspace, opts: { roots: ObjectId[], peers: string[], wantContent?: (path: string, asset: Asset) => boolean, classOf?: (path: string) => QueueClass, now?: () => number }): Promise<QueueItem[]> {
  const set = await computeWantSet({ store: ws.store, roots: opts.roots, wantContent: opts.wantContent })
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

/** The queued items whose content is all stored now. */
export async function arrivedItems (ws: Workspace, ids: ObjectId[]): Promise<ObjectId[]> {
  const arrived: ObjectId[] = []
  for (const id of ids) {
    const set = await computeWantSet({ store: ws.store, roots: [id], history: false })
    if (set.complete && set.content.length === 0) arrived.push(id)
  }
  return arrived
}
