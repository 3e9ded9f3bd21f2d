import { isGasError } from '../../errors.js'
import { fsck, type FsckReport } from '../../repo/fsck.js'
import { repairIndexCrcs, type ReindexedPack } from '../../pack/index-crc.js'
import { fetchFromPeers, type PeerNodeOptions } from './peer-node.js'

/**
 * `gas fsck --repair`: every damaged or missing object fsck finds is set aside (its bad bytes kept
 * in the store's quarantine, never deleted before a verified copy is stored), then fetched again
 * from the team's peers; fsck runs once more to say what is whole now.
 */
export interface RepairReport {
  /** fsck after the repair */
  after: FsckReport
  /** ids fsck found damaged or missing */
  damaged: string[]
  /** of those, the ones whole now */
  repaired: string[]
  /** the peers asked (member names) */
  asked: string[]
  /** why no peer could be asked, when none could */
  unreachable: string | null
  /** pack indexes written again because their crc32 of a whole entry was wrong (E_INDEX_CRC), with the objects they vouch for now */
  reindexed: ReindexedPack[]
}

const OBJECT_ID = /^[0-9a-f]{64}$/

export async function repairFromPeers (opts: Omit<PeerNodeOptions, 'wantContent'>): Promise<RepairReport> {
  const { ws } = opts
  // a wrong crc32 in an index over a whole entry needs no peer: the index is written again
  const reindexed = await repairIndexCrcs(ws.store)
  const before = await fsck(ws)
  const damaged = [...new Set([...before.problems.map((p) => p.id), ...(await ws.store.quarantinedObjects()).keys()])].filter((id) => OBJECT_ID.test(id))
  if (damaged.length === 0) return { after: before, damaged, repaired: [], asked: [], unreachable: null, reindexed }
  for (const id of damaged) await ws.store.quarantine(id)
  let asked: string[] = []
  let unreachable: string | null = null
  try {
    asked = (await fetchFromPeers({ ...opts, roots: damaged })).asked
  } catch (err) {
    if (!isGasError(err, 'E_NO_PEERS') && !isGasError(err, 'E_NO_ROUTE')) throw err
    unreachable = `${err.code}: ${err.message}`
  }
  await ws.store.flush()
  const after = await fsck(ws)
  const still = new Set([...after.problems.map((p) => p.id), ...(await ws.store.quarantinedObjects()).keys()])
  return { after, damaged, repaired: damaged.filter((id) => !still.has(id) && !isMissing(after, id)), asked, unreachable, reindexed }
}

function isMissing (report: FsckReport, id: string): boolean {
  return report.problems.some((p) => p.id === id)
}
