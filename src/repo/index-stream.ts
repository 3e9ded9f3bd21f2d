import { join } from 'node:path'
import { fromFsError } from '../errors.js'
import type { FileSystem } from '../objects/fs.js'
import type { ObjectId } from '../objects/id.js'
import { INDEX_FILE, corruptIndex, readIndex, type IndexEntry } from './staging-index.js'

export interface IndexStream {
  base: ObjectId | null
  /** every entry, sorted by path; read a line at a time when the file has a line per entry */
  entries: AsyncIterable<[string, IndexEntry]>
  /** the entry lines exactly as stored (`"path":{…}`), for a rewrite that changes only the header */
  lines: AsyncIterable<string>
}

/** The path of an entry line, without parsing its entry: the JSON string the line starts with. */
export function pathOfLine (line: string): string {
  if (line[0] !== '"') throw corruptIndex()
  for (let i = 1; i < line.length; i++) {
    if (line[i] === '\\') i++
    else if (line[i] === '"') return JSON.parse(line.slice(0, i + 1)) as string
  }
  throw corruptIndex()
}

const HEADER = /^\{"base":(null|"[0-9a-f]{64}"),"entries":\{$/

/**
 * Reads .gas/index.json without holding it whole (see staging-index.ts for the layout). An index in
 * the older one-line layout is read whole, once: the next write stores it a line per entry.
 * Entries are checked to come sorted by path, as every writer stores them; a hand-edited index
 * out of order is refused as damaged rather than streamed into a wrong tree.
 */
export async function streamIndex (fs: FileSystem, gasDir: string): Promise<IndexStream> {
  const path = join(gasDir, INDEX_FILE)
  let firstLine: string
  try {
    firstLine = await readFirstLine(fs, path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { base: null, entries: empty(), lines: empty() }
    throw fromFsError(err, INDEX_FILE)
  }
  const header = HEADER.exec(firstLine)
  if (header === null) {
    const whole = await readIndex(fs, gasDir)
    const sorted = Object.keys(whole.entries).sort().map((p): [string, IndexEntry] => [p, whole.entries[p]])
    return { base: whole.base, entries: fromArray(sorted), lines: fromArray(sorted.map(([p, e]) => `${JSON.stringify(p)}:${JSON.stringify(e)}`)) }
  }
  const base = JSON.parse(header[1]) as ObjectId | null
  return {
    base,
    lines: entryLines(fs, path),
    entries: (async function * () {
      let previous: string | undefined
      for await (const line of entryLines(fs, path)) {
        const parsed = parsedLine(line)
        const key = Object.keys(parsed)[0]
        if (key === undefined || (previous !== undefined && !(previous < key))) throw corruptIndex()
        previous = key
        yield [key, parsed[key]]
      }
    })()
  }
}

async function readFirstLine (fs: FileSystem, path: string): Promise<string> {
  const handle = await fs.open(path, 'r')
  try {
    // the header is short; an old one-line index shows no newline in its first bytes
    const head = Buffer.alloc(256)
    const { bytesRead } = await handle.read(head, 0, head.length, 0)
    const text = head.toString('utf8', 0, bytesRead)
    const end = text.indexOf('\n')
    return end === -1 ? text : text.slice(0, end)
  } finally {
    await handle.close()
  }
}

/** The entry lines of a line-per-entry index, without their separating commas. */
async function * entryLines (fs: FileSystem, path: string): AsyncGenerator<string> {
  const handle = await fs.open(path, 'r').catch((err) => { throw fromFsError(err, INDEX_FILE) })
  try {
    let lineNo = 0
    let ended = false
    for await (const line of handle.readLines({ encoding: 'utf8' })) {
      if (lineNo++ === 0) continue
      if (ended) { if (line === '') continue; throw corruptIndex() }
      if (line === '}}') { ended = true; continue }
      yield line.endsWith(',') ? line.slice(0, -1) : line
    }
    if (!ended) throw corruptIndex()
  } finally {
    await handle.close().catch(() => {})
  }
}

async function * empty<T> (): AsyncGenerator<T> {}

async function * fromArray<T> (items: T[]): AsyncGenerator<T> {
  yield * items
}

/** The entry of one entry line (`"path":{…}`). */
export function entryOfLine (line: string): IndexEntry {
  const entry = Object.values(parsedLine(line))[0]
  if (entry === undefined) throw corruptIndex()
  return entry
}

/** The index entry at one path, streaming (and stopping once past it, entries being sorted). */
export async function findIndexEntry (fs: FileSystem, gasDir: string, path: string): Promise<IndexEntry | undefined> {
  for await (const line of (await streamIndex(fs, gasDir)).lines) {
    const key = pathOfLine(line)
    if (key === path) return (JSON.parse(`{${line}}`) as Record<string, IndexEntry>)[key]
    if (key > path) return undefined
  }
  return undefined
}

/** One entry line (`"path":{…}`) as the object it is the inside of; a line that is not is a damaged index. */
function parsedLine (line: string): Record<string, IndexEntry> {
  try {
    return JSON.parse(`{${line}}`) as Record<string, IndexEntry>
  } catch {
    throw corruptIndex()
  }
}
