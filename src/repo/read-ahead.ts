import { GasError, fromFsError } from '../errors.js'
import { SMALL_FILE } from './ingest.js'
import type { IndexEntry } from './staging-index.js'
import { statForIndex, type StatStamp } from './stat-stamp.js'
import type { Workspace } from './workspace.js'

/**
 * How many files `gas add` stats and reads ahead of the one it hashes. why: each read is a
 * round trip through the thread pool (four threads); one at a time leaves the pool idle while this
 * thread hashes, and 100 000 small files are mostly round trips.
 */
const READ_AHEAD = 32

export interface FileToAdd {
  path: string
  abs: string
  st: { size: number, mtimeMs: number, stamp: StatStamp }
  /** the whole content of a small file; 'large' to be streamed; 'unchanged' when `unchanged` said so and nothing was read */
  content: Buffer | 'large' | 'unchanged'
  /** the index entry at this path before the add */
  previous: IndexEntry | undefined
}

/** The index entry at a path before the add; asked in path order (index-cursor.ts). */
export type PreviousEntry = (path: string) => Promise<IndexEntry | undefined>
export type Unchanged = (path: string, st: FileToAdd['st'], previous: IndexEntry | undefined) => boolean

async function load (ws: Workspace, path: string, previousOf: PreviousEntry, unchanged: Unchanged): Promise<FileToAdd> {
  // asked before any await: the lookups must reach the cursor in path order
  const looking = previousOf(path)
  looking.catch(() => {}) // awaited below; a stat failure first must not leave it "unhandled"
  const abs = ws.absolutePath(path)
  let st: FileToAdd['st']
  let content: Buffer
  let previous: IndexEntry | undefined
  try {
    st = await statForIndex(ws.fs, abs)
    previous = await looking
    if (unchanged(path, st, previous)) return { path, abs, st, content: 'unchanged', previous }
    if (st.size > SMALL_FILE) return { path, abs, st, content: 'large', previous }
    content = await ws.fs.readFile(abs)
  } catch (err) {
    throw fromFsError(err, path)
  }
  if (content.length !== st.size) throw new GasError('E_IO', `${path} changed while it was being added (${st.size} → ${content.length} bytes); add it again`, { path })
  return { path, abs, st, content, previous }
}

/**
 * The files of `paths` in order, each stat'ed (and read whole when small) up to READ_AHEAD files
 * ahead of the consumer. A failure is thrown when its file's turn comes, in order, as a loop of
 * single reads would throw it.
 */
export async function * readAhead (ws: Workspace, paths: string[], previousOf: PreviousEntry, unchanged: Unchanged): AsyncGenerator<FileToAdd> {
  const pending: Array<Promise<FileToAdd>> = []
  let next = 0
  const refill = (): void => {
    while (next < paths.length && pending.length < READ_AHEAD) {
      const loading = load(ws, paths[next++], previousOf, unchanged)
      loading.catch(() => {}) // awaited in turn below; this only keeps an early failure from being "unhandled"
      pending.push(loading)
    }
  }
  refill()
  while (pending.length > 0) {
    const file = await pending.shift()!
    refill()
    yield file
  }
}
