import type { FileHandle } from 'node:fs/promises'
import { join } from 'node:path'
import { fromFsError } from '../errors.js'
import { tempPathFor } from '../objects/atomic-write.js'
import type { FileSystem } from '../objects/fs.js'
import { pathOfLine, streamIndex } from './index-stream.js'
import { INDEX_FILE, corruptIndex, writeIndexLines, type IndexEntry } from './staging-index.js'

/** why: ~256 KB per write call keeps the spool's syscalls few without holding much */
const FLUSH_BYTES = 256 * 1024

/**
 * The index entries one `gas add` staged, in path order, as index lines (`"path":{…}`) in a
 * temporary file under .gas until they are merged into the index. why on disk: held as objects,
 * a 200 000-asset add kept ~1 KB of heap per asset until its end (533 MiB peak); here it keeps
 * one write batch. The file has a unique name and never becomes the index itself; it is removed
 * whether the add succeeds or fails.
 */
export class EntrySpool {
  readonly #fs: FileSystem
  readonly #path: string
  readonly #handle: FileHandle
  /** whether the name is still there (removed at once where the system allows an open file to be) */
  #named: boolean
  #batch = ''
  #count = 0
  #lastPath: string | undefined

  private constructor (fs: FileSystem, path: string, handle: FileHandle, named: boolean) {
    this.#fs = fs
    this.#path = path
    this.#handle = handle
    this.#named = named
  }

  static async create (fs: FileSystem, gasDir: string): Promise<EntrySpool> {
    const path = tempPathFor(join(gasDir, INDEX_FILE), 'add-spool')
    const handle = await fs.open(path, 'wx+').catch((err) => { throw fromFsError(err, INDEX_FILE) })
    // why unnamed at once: an add killed midway (SIGKILL, power) then leaves no file behind; Windows keeps the name until discard
    const named = await fs.rm(path).then(() => false, () => true)
    return new EntrySpool(fs, path, handle, named)
  }

  get count (): number {
    return this.#count
  }

  /** Appends the entry of `path`, which must come after every path appended before. */
  async append (path: string, entry: IndexEntry): Promise<void> {
    if (this.#lastPath !== undefined && !(this.#lastPath < path)) throw new RangeError(`spooled index entries out of order: ${path} after ${this.#lastPath}`)
    this.#lastPath = path
    this.#batch += `${JSON.stringify(path)}:${JSON.stringify(entry)}\n`
    this.#count++
    if (this.#batch.length >= FLUSH_BYTES) await this.#flush()
  }

  async #flush (): Promise<void> {
    if (this.#batch === '') return
    const batch = this.#batch
    this.#batch = ''
    await this.#handle.writeFile(batch).catch((err) => { throw fromFsError(err, INDEX_FILE) })
  }

  /** The spooled lines in path order (after the last append). */
  async * lines (): AsyncGenerator<string> {
    await this.#flush()
    // read through the handle written (the file has no name any more), from its start
    for await (const line of this.#handle.readLines({ encoding: 'utf8', start: 0, autoClose: false })) if (line !== '') yield line
  }

  /** Closes (and so deletes) the spool file. */
  async discard (): Promise<void> {
    await this.#handle.close().catch(() => {})
    if (this.#named) await this.#fs.rm(this.#path, { force: true }).catch(() => {})
  }
}

/**
 * Rewrites the index as it is now with the spooled entries put in (replacing an entry at the same
 * path) and the `removed` paths taken out, streaming both sides (each is sorted by path), so
 * neither the index nor the spool is ever held whole. Call under the workspace lock.
 */
export async function mergeIntoIndex (fs: FileSystem, gasDir: string, staged: AsyncIterable<string>, removed: ReadonlySet<string>): Promise<void> {
  const current = await streamIndex(fs, gasDir)
  await writeIndexLines(fs, gasDir, current.base, merged(current.lines, staged, removed))
}

async function * merged (current: AsyncIterable<string>, staged: AsyncIterable<string>, removed: ReadonlySet<string>): AsyncGenerator<string> {
  const ours = staged[Symbol.asyncIterator]()
  let next = await ours.next()
  let nextPath = next.done === true ? undefined : pathOfLine(next.value)
  let previous: string | undefined
  for await (const line of current) {
    const path = pathOfLine(line)
    // a hand-edited index out of order would be merged into a wrong one; refused as commit refuses it
    if (previous !== undefined && !(previous < path)) throw corruptIndex()
    previous = path
    while (nextPath !== undefined && nextPath < path) {
      yield next.value as string
      next = await ours.next()
      nextPath = next.done === true ? undefined : pathOfLine(next.value)
    }
    if (nextPath === path) {
      yield next.value as string
      next = await ours.next()
      nextPath = next.done === true ? undefined : pathOfLine(next.value)
    } else if (!removed.has(path)) yield line
  }
  while (next.done !== true) {
    yield next.value
    next = await ours.next()
  }
}
