import { join } from 'node:path'
import { writeFileAtomic } from '../objects/atomic-write.js'
import { isObjectId, type ObjectId } from '../objects/id.js'
import { isProcessAlive } from '../objects/process-alive.js'
import type { Workspace } from './workspace.js'

/**
 * Peers' heads of this branch whose content a running sync is fetching, with that sync's pid:
 * written once their versions, trees, assets and previews are stored and flushed, removed when the
 * sync ends. why: on a slow link a sync spends minutes on content after the history and previews
 * are here, and until it applies the refs nothing named them: `gas status` in another terminal
 * said "no version yet". It now names the head on its way, which `gas log --rev` and
 * `gas preview --version` show meanwhile.
 */
const FILE = 'arriving-heads.json'

export interface ArrivingHeads {
  /** the sync fetching them */
  pid: number
  /** by peer name, as in refs/remotes/<peer>/ */
  heads: Record<string, ObjectId>
}

/** The heads a sync of this process is fetching now (replaces what an earlier round recorded). */
export async function recordArrivingHeads (ws: Workspace, heads: Map<string, ObjectId>): Promise<void> {
  if (heads.size === 0) return
  const record: ArrivingHeads = { pid: process.pid, heads: Object.fromEntries(heads) }
  await writeFileAtomic(ws.fs, join(ws.gasDir, FILE), `${JSON.stringify(record)}\n`)
}

/** The sync is over: its record goes (one another process wrote stays). */
export async function clearArrivingHeads (ws: Workspace): Promise<void> {
  const record = await readRecord(ws)
  if (record?.pid !== process.pid) return
  await ws.fs.rm(join(ws.gasDir, FILE), { force: true })
}

/** What a sync that still runs is fetching; none when no record is there or its sync is gone (killed). */
export async function readArrivingHeads (ws: Workspace): Promise<ArrivingHeads | undefined> {
  const record = await readRecord(ws)
  return record !== undefined && isProcessAlive(record.pid) ? record : undefined
}

async function readRecord (ws: Workspace): Promise<ArrivingHeads | undefined> {
  let value: unknown
  try {
    value = JSON.parse(await ws.fs.readFile(join(ws.gasDir, FILE), 'utf8'))
  } catch {
    return undefined // none recorded, or a damaged file: status shows the remote views alone
  }
  const { pid, heads } = (value ?? {}) as Partial<ArrivingHeads>
  if (typeof pid !== 'number' || heads === null || typeof heads !== 'object' || Array.isArray(heads)) return undefined
  return { pid, heads: Object.fromEntries(Object.entries(heads).filter((e): e is [string, ObjectId] => isObjectId(e[1]))) }
}
