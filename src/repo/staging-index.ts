import { join } from 'node:path'
import { GasError, fromFsError } from '../errors.js'
import type { Asset } from '../objects/asset.js'
import { writeFileAtomic } from '../objects/atomic-write.js'
import type { FileSystem } from '../objects/fs.js'
import type { ObjectId } from '../objects/id.js'
import type { StatStamp } from './stat-stamp.js'

/**
 * What the workspace tracks at one path: the staged asset, plus the file's mtime to skip re-reading it
 * (-1: tracked without content here, selective sync) and, when the writer took it, its stat stamp.
 */
export interface IndexEntry { asset: ObjectId, meta: Asset, mtimeMs: number, stat?: StatStamp }

/** .gas/index.json: the next version's tree, flat, like git's index. `base` is the version it started from. */
export interface StagingIndex { base: ObjectId | null, entries: Record<string, IndexEntry> }

const FILE = 'index.json'

export async function readIndex (fs: FileSystem, gasDir: string): Promise<StagingIndex> {
  let text: string
  try {
    text = await fs.readFile(join(gasDir, FILE), 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { base: null, entries: {} }
    throw fromFsError(err, FILE)
  }
  try {
    const index = JSON.parse(text) as StagingIndex
    if (typeof index.entries !== 'object' || index.entries === null) throw new Error('no entries')
    return index
  } catch {
    throw new GasError('E_CORRUPT_OBJECT', `.gas/${FILE} is damaged; run \`gas reset\` to rebuild it from the last version`)
  }
}

/** Written whole to a temporary file and renamed: a crash leaves the old index or the new one. */
export async function writeIndex (fs: FileSystem, gasDir: string, index: StagingIndex): Promise<void> {
  const sorted: Record<string, IndexEntry> = {}
  for (const path of Object.keys(index.entries).sort()) sorted[path] = index.entries[path]
  await writeFileAtomic(fs, join(gasDir, FILE), JSON.stringify({ base: index.base, entries: sorted }), { what: FILE })
}
