import { join } from 'node:path'
import { writeFileAtomic } from '../objects/atomic-write.js'
import type { Author } from '../objects/version.js'
import type { LockEntry } from '../refs/lock-table.js'
import { lockTableOf } from './lock-store.js'
import type { Workspace } from './workspace.js'

/**
 * What a member must be told about their own locks: a lease that lost to another member's earlier
 * one (taken while apart), or that a lead broke. Told once, at the next sync after it became
 * known, however it arrived (a sync, or a peer that synced with our `gas serve`).
 */
export interface LostLock { path: string, lease: string, holder: string, holderKey: string, expires: number, reason: string }
export interface BrokenLock { path: string, lease: string, by: string, at: number }
export interface LockNotices { lost: LostLock[], broken: BrokenLock[] }

const TOLD_FILE = 'locks-told.json'
/** why: the file of told leases stays small; a lease older than this is long expired */
const TOLD_KEEP = 10_000

export async function takeLockNotices (ws: Workspace, opts: { now?: number } = {}): Promise<LockNotices> {
  const now = opts.now ?? ws.clock.now()
  const table = await lockTableOf(ws.refs, ws.store, now)
  const told = await readTold(ws)
  const notices: LockNotices = { lost: [], broken: [] }
  for (const [id, { entry, outcome }] of table.leases) {
    if (entry.holder.publicKey !== ws.identity.publicKey || told.has(id)) continue
    if (outcome.state === 'lost') notices.lost.push(lost(entry, outcome.to))
    else if (outcome.state === 'broken') notices.broken.push(broken(entry, outcome.by, outcome.at))
    else continue
    told.add(id)
  }
  if (notices.lost.length + notices.broken.length > 0) {
    await writeFileAtomic(ws.fs, join(ws.gasDir, TOLD_FILE), JSON.stringify([...told].slice(-TOLD_KEEP)))
  }
  return notices
}

function lost (mine: LockEntry, winner: LockEntry): LostLock {
  return { path: mine.path, lease: mine.lease, holder: winner.holder.name, holderKey: winner.holder.publicKey, expires: winner.expires, reason: winner.reason }
}

function broken (mine: LockEntry, by: Author, at: number): BrokenLock {
  return { path: mine.path, lease: mine.lease, by: by.name, at }
}

async function readTold (ws: Workspace): Promise<Set<string>> {
  try {
    const value = JSON.parse(await ws.fs.readFile(join(ws.gasDir, TOLD_FILE), 'utf8')) as unknown
    return new Set(Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [])
  } catch {
    return new Set()
  }
}
