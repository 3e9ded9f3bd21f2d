import { join } from 'node:path'
import { GasError, fromFsError } from '../errors.js'
import type { Asset } from '../objects/asset.js'
import { writeStreamAtomic } from '../objects/atomic-write.js'
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

export const INDEX_FILE = 'index.json'

/**
 * why a line per entry (still one JSON document): a 200 000-asset index is ~100 MB of JSON, whose
 * parse costs ~150 MB of heap and whose one-string write as much again. Written a line per entry,
 * sorted by path, it is read a line at a time (index-stream.ts: a commit streams it into trees)
 * and written in batches. JSON.stringify never puts a raw newline inside a string.
 */
export function indexHeaderLine (base: ObjectId | null): string {
  return `{"base":${JSON.stringify(base)},"entries":{\n`
}
export const INDEX_FOOTER = '}}\n'
/** lines written per write call: ~200 KB */
const BATCH_LINES = 512

export async function readIndex (fs: FileSystem, gasDir: string): Promise<StagingIndex> {
  let text: string
  try {
    text = await fs.readFile(join(gasDir, INDEX_FILE), 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { base: null, entries: {} }
    throw fromFsError(err, INDEX_FILE)
  }
  try {
    const index = JSON.parse(text) as StagingIndex
    if (typeof index.entries !== 'object' || index.entries === null) throw new Error('no entries')
    return index
  } catch {
    throw corruptIndex()
  }
}

export function corruptIndex (): GasError {
  return new GasError('E_CORRUPT_OBJECT', `.gas/${INDEX_FILE} is damaged; \`gas reset\` makes it again from HEAD (your files are not touched; what was staged is staged again with \`gas add\`)`)
}

/** Written to a temporary file in batches and renamed: a crash leaves the old index or the new one. */
export async function writeIndex (fs: FileSystem, gasDir: string, index: StagingIndex): Promise<void> {
  const paths = Object.keys(index.entries).sort()
  await writeIndexLines(fs, gasDir, index.base, (function * () {
    for (let i = 0; i < paths.length; i++) yield `${JSON.stringify(paths[i])}:${JSON.stringify(index.entries[paths[i]])}`
  })())
}

/**
 * Writes index.json from entry lines (`"path":{…}`, sorted by path, without separators), in
 * batches, so no caller needs the whole file as one string.
 */
export async function writeIndexLines (fs: FileSystem, gasDir: string, base: ObjectId | null, lines: Iterable<string> | AsyncIterable<string>): Promise<void> {
  await writeStreamAtomic(fs, join(gasDir, INDEX_FILE), async (handle) => {
    let batch = indexHeaderLine(base)
    let count = 0
    let first = true
    for await (const line of lines) {
      batch += first ? line : `,\n${line}`
      first = false
      if (++count % BATCH_LINES === 0) {
        await handle.writeFile(batch)
        batch = ''
      }
    }
    await handle.writeFile(`${batch}${first ? '' : '\n'}${INDEX_FOOTER}`)
  })
}
