import { GasError, fromFsError } from '../errors.js'
import { SMALL_FILE } from './ingest.js'
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
}

async function load (ws: Workspace, path: string, unchanged: (path: string, st: FileToAdd['st']) => boolean): Promise<FileToAdd> {
  const abs = ws.absolutePath(path)
  let st: FileToAdd['st']
  let content: Buffer
  try {
    st = await statForIndex(ws.fs, abs)
    if (unchanged(path, st)) return { path, abs, st, content: 'unchanged' }
    if (st.size > SMALL_FILE) return { path, abs, st, content: 'large' }
    content = await ws.fs.readFile(abs)
  } catch (err) {
    throw fromFsError(err, path)
  }
  if (content.length !== st.size) throw new GasError('E_IO', `${path} changed while it was being added (${st.size} → ${content.length} bytes); add it again`, { path })
  return { path, abs, st, content }
}

/**
 * The files of `paths` in order, each stat'ed (and read whole when small) up to READ_AHEAD files
 * ahead of the consumer. A failure is thrown when its file's turn comes, in order, as a loop of
 * single reads would throw it.
 */
export async function * readAhead (ws: Workspace, paths: string[], unchanged: (path: string, st: FileToAdd['st']) => boolean): AsyncGenerator<FileToAdd> {
  const pending: Array<Promise<FileToAdd>> = []
  let next = 0
  const refill = (): void => {
    while (next < paths.length && pending.length < READ_AHEAD) {
      const loading = load(ws, paths[next++], unchanged)
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
