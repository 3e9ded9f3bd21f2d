import type { Stats } from 'node:fs'
import { join } from 'node:path'
import { writeFileAtomic } from '../objects/atomic-write.js'
import type { FileSystem } from '../objects/fs.js'
import type { ObjectId } from '../objects/id.js'
import type { StagingIndex } from './staging-index.js'
import type { StatStamp } from './stat-stamp.js'

/**
 * What `gas status` needs of each index entry to judge a file by its stat data alone. The index
 * (index.json) holds full asset records: 35 MB at 100 000 assets, whose parse alone costs more than
 * status may take. So status keeps this lean copy, valid only while index.json is the very file it
 * was made from (same size, mtime, ctime and inode: a rewrite is a rename, a new file), plus the
 * index's tree id (computed as a commit would), so "nothing staged" is one comparison with HEAD's.
 */
export interface LeanEntry { size: number, mtimeMs: number, stat?: StatStamp }
export interface StatusCache { indexTree: ObjectId, entries: Map<string, LeanEntry> }

const FILE = 'status-cache'
const VERSION = 'gas-status-cache 2'

/** The identity of index.json as one string (empty when there is no index). */
export function indexIdentity (st: Stats | undefined): string {
  return st === undefined ? '' : `${st.size}:${st.mtimeMs}:${st.ctimeMs}:${st.ino}`
}

/**
 * Layout: `VERSION\0identity\0indexTree` then per entry seven fields, every field ended by NUL
 * (a path cannot hold NUL): path, size, mtimeMs, then the stamp's mtimeMs, ctimeMs, ino and racy flag. One string
 * split once is several times cheaper to read than JSON objects.
 */
export async function readStatusCache (fs: FileSystem, gasDir: string, identity: string): Promise<StatusCache | undefined> {
  let text: string
  try {
    text = await fs.readFile(join(gasDir, FILE), 'utf8')
  } catch {
    return undefined
  }
  const f = text.split('\0')
  if (f[0] !== VERSION || f[1] !== identity || identity === '' || (f.length - 4) % 7 !== 0) return undefined
  const entries = new Map<string, LeanEntry>()
  for (let i = 3; i + 7 <= f.length; i += 7) {
    const entry: LeanEntry = { size: Number(f[i + 1]), mtimeMs: Number(f[i + 2]) }
    if (f[i + 3] !== '') entry.stat = f[i + 6] === '1' ? { mtimeMs: Number(f[i + 3]), ctimeMs: Number(f[i + 4]), ino: Number(f[i + 5]), racy: true } : { mtimeMs: Number(f[i + 3]), ctimeMs: Number(f[i + 4]), ino: Number(f[i + 5]) }
    entries.set(f[i], entry)
  }
  return { indexTree: f[2], entries }
}

/** Written after a status that had to read index.json; a failure to write costs the next status time, nothing else. */
export async function writeStatusCache (fs: FileSystem, gasDir: string, identity: string, indexTree: ObjectId, index: StagingIndex): Promise<void> {
  if (identity === '') return
  const parts = [VERSION, identity, indexTree]
  for (const [path, e] of Object.entries(index.entries)) {
    parts.push(path, String(e.meta.size), String(e.mtimeMs), e.stat === undefined ? '' : String(e.stat.mtimeMs), e.stat === undefined ? '' : String(e.stat.ctimeMs), e.stat === undefined ? '' : String(e.stat.ino), e.stat?.racy === true ? '1' : '')
  }
  parts.push('')
  await writeFileAtomic(fs, join(gasDir, FILE), parts.join('\0')).catch(() => {})
}

/**
 * The tracked paths, from the lean cache when it is current (whoami's engine detection on a
 * 100 000-asset workspace must not parse the full index), else from index.json.
 */
export async function trackedPaths (fs: FileSystem, gasDir: string, readFullIndex: () => Promise<StagingIndex>): Promise<string[]> {
  const identity = indexIdentity(await fs.lstat(join(gasDir, 'index.json')).catch(() => undefined))
  const cache = identity === '' ? undefined : await readStatusCache(fs, gasDir, identity)
  return cache !== undefined ? [...cache.entries.keys()] : Object.keys((await readFullIndex()).entries)
}
