import type { Workspace } from '../repo/workspace.js'
import { planQueue, type PlannedItem } from './planner.js'
import { readPeerSchedules, readSettings } from './schedule-settings.js'
import { TransferQueue } from './transfer-queue.js'

/** The workspace's transfer queue (.gas/queue.json). */
export async function openQueue (ws: Workspace): Promise<TransferQueue> {
  return await TransferQueue.open(ws.fs, ws.gasDir)
}

/** `gas queue plan`: the queue in order, each item with its planned start in the member's time zone. */
export async function planTransfers (ws: Workspace, at: number): Promise<{ at: string, paused: boolean, items: PlannedItem[] }> {
  const queue = await openQueue(ws)
  const items = planQueue({ items: queue.list(), ours: await readSettings(ws), peers: await readPeerSchedules(ws), at, zone: ws.config.timeZone })
  return { at: new Date(at).toISOString(), paused: queue.paused, items }
}
