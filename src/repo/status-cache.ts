import type { Stats } from 'node:fs'
import { endianness } from 'node:os'
import { join } from 'node:path'
import { writeFileAtomic } from '../objects/atomic-write.js'
import type { FileSystem } from '../objects/fs.js'
import type { ObjectId } from '../objects/id.js'
import type { StagingIndex } from './staging-index.js'
import type { FileStat } from './stat-stamp.js'

/**
 * What `gas status` needs of each index entry to judge a file by its stat data alone. The index
 * (index.json) holds full asset records: 35 MB at 100 000 assets, whose parse alone costs more than
 * status may take. So status keeps this lean copy, valid only while index.json is the very file it
 * was made from (same size, mtime, ctime and inode: a rewrite is a rename, a new file), plus the
 * index's tree id (computed as a commit would), so "nothing staged" is one comparison with HEAD's.
 *
 * Held as columns, not an object per entry: the paths, and six numbers per entry in one
 * Float64Array (size, mtimeMs, then the stat stamp's mtimeMs, ctimeMs, ino and a flag). why: at
 * 100 000 entries, objects and their garbage collection cost status a fifth of its time.
 */
export class LeanIndex {
  static readonly FIELDS = 6
  /** flag values: no stamp (an older gas, or a command that keeps only mtimeMs), a stamp, a racy stamp */
  static readonly NO_STAMP = 0
  static readonly STAMP = 1
  static readonly RACY = 2
  readonly slots = new Map<string, number>()

  constructor (readonly paths: string[], readonly numbers: Float64Array) {
    for (let i = 0; i < paths.length; i++) this.slots.set(paths[i], i)
  }

  static fromIndex (index: StagingIndex): LeanIndex {
    const paths = Object.keys(index.entries)
    const numbers = new Float64Array(paths.length * LeanIndex.FIELDS)
    paths.forEach((path, slot) => {
      const e = index.entries[path]
      const at = slot * LeanIndex.FIELDS
      numbers[at] = e.meta.size
      numbers[at + 1] = e.mtimeMs
      if (e.stat !== undefined) {
        numbers[at + 2] = e.stat.mtimeMs
        numbers[at + 3] = e.stat.ctimeMs
        numbers[at + 4] = e.stat.ino
        numbers[at + 5] = e.stat.racy === true ? LeanIndex.RACY : LeanIndex.STAMP
      }
    })
    return new LeanIndex(paths, numbers)
  }

  get count (): number {
    return this.paths.length
  }

  size (slot: number): number { return this.numbers[slot * LeanIndex.FIELDS] }
  /** -1: tracked without content here (selective sync) */
  mtimeMs (slot: number): number { return this.numbers[slot * LeanIndex.FIELDS + 1] }

  /**
   * Whether `st` is still what the stamp recorded: mtime, ctime and inode as git's index compares
   * them; racy stamps never are. Without a stamp git's rule: the mtime as recorded, and older than
   * the index file's write by more than the racy window (`racyBeforeMs`).
   */
  statClean (slot: number, st: FileStat, racyBeforeMs: (mtimeMs: number) => number): boolean {
    const at = slot * LeanIndex.FIELDS
    const n = this.numbers
    const flag = n[at + 5]
    if (flag === LeanIndex.STAMP) return n[at + 2] === st.mtimeMs && n[at + 3] === st.ctimeMs && n[at + 4] === st.ino
    if (flag === LeanIndex.RACY) return false
    return n[at + 1] === st.mtimeMs && st.mtimeMs < racyBeforeMs(st.mtimeMs)
  }
}

export interface StatusCache { indexTree: ObjectId, lean: LeanIndex }

const FILE = 'status-cache'
/** the numbers are stored as this machine's doubles: a cache from a machine of the other byte order is not read */
const VERSION = `gas-status-cache 3 ${endianness()}`

/** The identity of index.json as one string (empty when there is no index). */
export function indexIdentity (st: Stats | undefined): string {
  return st === undefined ? '' : `${st.size}:${st.mtimeMs}:${st.ctimeMs}:${st.ino}`
}

/**
 * Layout: the header `VERSION\0identity\0indexTree\0count\0`, NULs up to a multiple of 8 bytes, the
 * numbers (count × 6 doubles), then the paths, each ended by NUL (a path cannot hold NUL). Read with
 * one file read, one string split and no parse per number.
 */
export async function readStatusCache (fs: FileSystem, gasDir: string, identity: string): Promise<StatusCache | undefined> {
  if (identity === '') return undefined
  let bytes: Buffer
  try {
    bytes = await fs.readFile(join(gasDir, FILE))
  } catch {
    return undefined
  }
  const header = bytes.toString('latin1', 0, Math.min(bytes.length, 512)).split('\0', 4)
  if (header.length < 4 || header[0] !== VERSION || header[1] !== identity) return undefined
  const count = Number(header[3])
  const headerBytes = align8(header.join('\0').length + 1)
  const numbersBytes = count * LeanIndex.FIELDS * 8
  if (!Number.isSafeInteger(count) || count < 0 || headerBytes + numbersBytes > bytes.length) return undefined
  // a Float64Array must start on a multiple of 8 in its ArrayBuffer; copy when the read buffer does not
  const start = bytes.byteOffset + headerBytes
  const numbers = start % 8 === 0
    ? new Float64Array(bytes.buffer, start, count * LeanIndex.FIELDS)
    : new Float64Array(Uint8Array.prototype.slice.call(bytes, headerBytes, headerBytes + numbersBytes).buffer)
  const paths = bytes.toString('utf8', headerBytes + numbersBytes).split('\0')
  if (paths.pop() !== '' || paths.length !== count) return undefined
  return { indexTree: header[2], lean: new LeanIndex(paths, numbers) }
}

function align8 (n: number): number {
  return Math.ceil(n / 8) * 8
}

/** Written after a status that had to read index.json; a failure to write costs the next status time, nothing else. */
export async function writeStatusCache (fs: FileSystem, gasDir: string, identity: string, indexTree: ObjectId, lean: LeanIndex): Promise<void> {
  if (identity === '') return
  const head = Buffer.from(`${VERSION}\0${identity}\0${indexTree}\0${lean.count}\0`, 'latin1')
  const header = Buffer.alloc(align8(head.length))
  head.copy(header)
  const numbers = Buffer.from(lean.numbers.buffer, lean.numbers.byteOffset, lean.count * LeanIndex.FIELDS * 8)
  const paths = Buffer.from(lean.paths.length === 0 ? '' : `${lean.paths.join('\0')}\0`, 'utf8')
  await writeFileAtomic(fs, join(gasDir, FILE), Buffer.concat([header, numbers, paths])).catch(() => {})
}

/** The lean cache when it is current, with the identity of index.json it was checked against ('' when there is no index). */
export async function currentStatusCache (fs: FileSystem, gasDir: string): Promise<{ identity: string, cache: StatusCache | undefined }> {
  const identity = indexIdentity(await fs.lstat(join(gasDir, 'index.json')).catch(() => undefined))
  return { identity, cache: await readStatusCache(fs, gasDir, identity) }
}

/**
 * The tracked paths, from the lean cache when it is current (whoami's engine detection on a
 * 100 000-asset workspace must not parse the full index), else from index.json.
 */
export async function trackedPaths (fs: FileSystem, gasDir: string, readFullIndex: () => Promise<StagingIndex>): Promise<string[]> {
  const { cache } = await currentStatusCache(fs, gasDir)
  return cache !== undefined ? cache.lean.paths : Object.keys((await readFullIndex()).entries)
}
