import { randomBytes } from 'node:crypto'
import { dirname, join } from 'node:path'
import { decodeAsset } from '../objects/asset.js'
import { decodeFileManifestLazily, type FileManifest } from '../objects/file-manifest.js'
import { listedLazily, type ListedManifest } from '../objects/chunk-list.js'
import type { FileSystem } from '../objects/fs.js'
import type { ObjectId } from '../objects/id.js'
import type { EncodedObject, ObjectStore } from '../objects/store.js'
import { isProcessAlive } from '../objects/process-alive.js'
import { AheadBudget, FileAssembler } from './file-assembler.js'

/** why: below this a file's checkout after the fetch costs little; above it, writing while the chunks arrive hides it */
export const ARRIVING_MIN_BYTES = 8 * 1024 * 1024
/** why: each file written while arriving holds a batch or two (~8 MiB) and an open file: a few at once bound both */
const MAX_FILES = 4

/** why: chunks that arrive ahead of their turn are held up to this much in all, so a sync's memory does not grow with the files */
const AHEAD_BYTES = 32 * 1024 * 1024

export interface ArrivingOptions {
  /**
   * How many more of the fetch's wants may be looked at, after the first MAX_FILES large files,
   * for the next: one is taken up each time an open one has all its chunks, so no more than
   * MAX_FILES are open at once (default 0: the first few only). why: a fetch of many large files
   * (a build, a project's first sync) otherwise read each back from the store and wrote it again
   * after the fetch (3.7 s of system time per GiB on this VM). A bound, because each want looked at
   * is a manifest read while the fetch runs, and a sync's may be 200 000 small assets.
   */
  lookAhead?: number
}

/** what a sync may look at for more large files to write while they arrive (ArrivingOptions.lookAhead): a few thousand manifest reads, a fraction of a second */
export const SYNC_LOOK_AHEAD = 4096

/** A checkout's source of content already written and verified: moves it to `out` (true), or has none for it. */
export interface PreparedContent {
  take: (manifest: Pick<FileManifest, 'sha256' | 'size'>, out: string) => Promise<boolean>
}

/** The chunks a sync is about to fetch: its want-set's content, each naming the asset or file manifest it is for. */
export interface ArrivingWant { id: ObjectId, asset?: ObjectId }

/** How far plan() looked through a fetch's wants (`next`), and what it took up so far. */
interface PlanCursor { store: ObjectStore, wants: readonly ArrivingWant[], next: number, seen: Set<ObjectId>, planned: Set<string>, end: number }

const keyOf = (manifest: Pick<FileManifest, 'sha256' | 'size'>): string => `${manifest.sha256}:${manifest.size}`

/**
 * The files of a sync's content written while their chunks arrive (file-assembler.ts), in
 * `dir` (inside the workspace's .gas folder: the same file system, so the checkout moves a
 * verified file into place with one rename instead of reading, hashing and writing it again).
 * `plan` before the fetch, `onStored` for every chunk stored, `finish` after it; `take` during the
 * checkout; `discard` at the end removes whatever nobody took.
 */
export class ArrivingFiles implements PreparedContent {
  readonly #assemblers: FileAssembler[] = []
  /** verified temporary files by content (SHA-256 and size): any manifest of that content may take one */
  readonly #prepared = new Map<string, string>()
  readonly #budget = new AheadBudget(AHEAD_BYTES)
  /** with `lookAhead`: files whose chunks all came, being closed and checked */
  readonly #complete: Array<Promise<void>> = []
  /** with `lookAhead`: what plan() has not looked at yet, taken up as files complete */
  #later: PlanCursor | undefined
  #dirReady = false
  #planning: Promise<void> = Promise.resolve()

  constructor (private readonly fs: FileSystem, readonly dir: string, private readonly opts: ArrivingOptions = {}) {}

  /** Picks the first few large files the fetch brings, in the order it asks for them (with `lookAhead`, more as these complete). */
  async plan (store: ObjectStore, wants: readonly ArrivingWant[]): Promise<void> {
    const later: PlanCursor = { store, wants, next: 0, seen: new Set<ObjectId>(), planned: new Set<string>(), end: wants.length }
    await this.#planMore(later)
    later.end = Math.min(wants.length, later.next + (this.opts.lookAhead ?? 0))
    if (later.next < later.end) this.#later = later
  }

  /** Opens assemblers for the next large files of `at.wants` until MAX_FILES are open. */
  async #planMore (at: PlanCursor): Promise<void> {
    for (; at.next < at.end && this.#assemblers.length < MAX_FILES; at.next++) {
      const want = at.wants[at.next]
      if (want.asset === undefined || at.seen.has(want.asset)) continue
      at.seen.add(want.asset)
      const manifest = await manifestOf(at.store, want.asset)
      if (manifest === undefined || manifest.size < ARRIVING_MIN_BYTES || at.planned.has(keyOf(manifest))) continue
      at.planned.add(keyOf(manifest))
      if (!this.#dirReady) await this.#prepareDir()
      this.#dirReady = true
      const assembler = new FileAssembler(this.fs, manifest, join(this.dir, `arriving-${process.pid}-${randomBytes(6).toString('hex')}`), this.#budget)
      this.#assemblers.push(assembler)
    }
  }

  /** Creates the folder, and removes what a killed sync left there (its process is gone). */
  async #prepareDir (): Promise<void> {
    await this.fs.mkdir(this.dir, { recursive: true })
    for (const name of await this.fs.readdir(this.dir)) {
      const pid = /^arriving-(\d+)-/.exec(name)?.[1]
      if (pid !== undefined && !isProcessAlive(Number(pid))) await this.fs.rm(join(this.dir, name), { force: true }).catch(() => {})
    }
  }

  /** A chunk the fetch just verified and stored (its bytes are read during the call only); a promise: wait for it before storing more (file-assembler.ts). */
  onStored (id: ObjectId, object: EncodedObject): Promise<void> | undefined {
    let room: Promise<void> | undefined
    const wait = (more: Promise<void>): void => { room = room === undefined ? more : Promise.all([room, more]).then(() => {}) }
    // why no map from chunk to files: a few files each look up their own (an entry per chunk of a 10 GB file is ~150 000)
    for (const assembler of this.#assemblers) {
      if (!assembler.wants(id)) continue
      const written = assembler.offer(id, object)
      if (written !== undefined) wait(written)
    }
    const later = this.#later
    if (later !== undefined && this.#assemblers.some((a) => a.cursor === a.manifest.chunks.count)) {
      // a complete file is closed now (its last write, the sample read back), so few stay open
      for (let i = this.#assemblers.length - 1; i >= 0; i--) {
        const a = this.#assemblers[i]
        if (a.cursor !== a.manifest.chunks.count) continue
        this.#assemblers.splice(i, 1)
        this.#complete.push(this.#keepIfWhole(a, later.store))
      }
      // the next files open before their chunks come: requests go in file order, and MAX_FILES - 1 others are still open.
      // One look at a time: two would share the cursor
      this.#planning = this.#planning.then(async () => await this.#planMore(later)).catch(() => {}).then(() => { if (later.next >= later.end && this.#later === later) this.#later = undefined })
      wait(this.#planning)
    }
    return room
  }

  /**
   * After the fetch (its objects flushed): completes the files that got under way from the store
   * and keeps those whose content checks out. A file none of whose chunks came in order is left
   * to the checkout, which would do the same work.
   */
  async finish (store: ObjectStore): Promise<void> {
    this.#later = undefined
    await this.#planning
    await Promise.all(this.#complete.splice(0))
    for (const assembler of this.#assemblers.splice(0)) {
      if (assembler.cursor === 0) await assembler.discard()
      else await this.#keepIfWhole(assembler, store)
    }
  }

  /** Finishes a file (from the store for what did not come in order) and keeps it when its content checks out. */
  async #keepIfWhole (assembler: FileAssembler, store: ObjectStore): Promise<void> {
    if (await assembler.finish(store)) this.#prepared.set(keyOf(assembler.manifest), assembler.tmpPath)
  }

  async take (manifest: Pick<FileManifest, 'sha256' | 'size'>, out: string): Promise<boolean> {
    const tmp = this.#prepared.get(keyOf(manifest))
    if (tmp === undefined) return false
    this.#prepared.delete(keyOf(manifest))
    try {
      await this.fs.mkdir(dirname(out), { recursive: true })
      await this.fs.rename(tmp, out)
      return true
    } catch {
      // e.g. another file system, or a folder where the file goes: the usual way reports what is wrong
      await this.fs.rm(tmp, { force: true }).catch(() => {})
      return false
    }
  }

  /** Removes every temporary file still here. */
  async discard (): Promise<void> {
    this.#later = undefined
    await this.#planning
    await Promise.all(this.#complete.splice(0))
    for (const assembler of this.#assemblers.splice(0)) await assembler.discard()
    for (const tmp of this.#prepared.values()) await this.fs.rm(tmp, { force: true }).catch(() => {})
    this.#prepared.clear()
  }
}

/** The file manifest a content want names (through its asset, or directly), when it is here. */
async function manifestOf (store: ObjectStore, id: ObjectId): Promise<ListedManifest | undefined> {
  try {
    const object = await store.get(id)
    if (object.type === 'file') return listedLazily(decodeFileManifestLazily(object.body))
    if (object.type !== 'asset') return undefined
    const file = await store.get(decodeAsset(object.body).file)
    return file.type === 'file' ? listedLazily(decodeFileManifestLazily(file.body)) : undefined
  } catch {
    return undefined
  }
}
