import { basename, join } from 'node:path'
import { GasError, fromFsError } from '../errors.js'
import type { FileSystem } from '../objects/fs.js'
import type { ObjectId } from '../objects/id.js'
import type { PackProblem } from './file-store.js'
import { folderStamp, type FolderStamp } from './folder-stamp.js'
import { PackFile } from './pack-file.js'
import { maskPathOf, readMask } from './quarantine.js'
import { PACK_DROPPED, WRITER_ALIVE, recoverPack } from './recover.js'

/**
 * The closed packs of a store's pack folder, open for reading, as other processes change the
 * folder: packs they add, indexes their writers checkpoint again, masks a repair writes, and
 * the tails of packs whose writer died (recovered on first sight).
 */
export class PackFolder {
  private readonly packs = new Map<string, PackFile>()
  /** Packs that could not be opened; the rest of the store stays readable. */
  readonly problems: PackProblem[] = []
  private dirMtime = -1
  #lookedAt = -Infinity
  private readonly indexStamps = new Map<string, string>()
  private readonly maskStamps = new Map<string, string>()
  #refreshRunning: Promise<void> | undefined
  #refreshQueued: Promise<void> | undefined

  /** `writing`: the pack this process is writing, if any (never opened as a closed pack) */
  constructor (private readonly fs: FileSystem, readonly packDir: string, private readonly writing: () => string | undefined) {}

  /**
   * Opens packs that appeared since the last look, reads the longer index of packs another
   * process checkpointed again, and recovers the tail of packs whose writer died.
   * Calls are serialised: a caller that missed an object while a look was under way gets a look
   * that starts after its miss (why: a second caller used to return at once, seeing the folder
   * stamp the running look had just recorded, and answered "not here" for an object in a pack
   * that look was still opening; a serving peer told a fetcher DONT_HAVE this way).
   */
  async refresh (): Promise<void> {
    if (this.#refreshQueued !== undefined) return await this.#refreshQueued
    const running = this.#refreshRunning
    const next = (running ?? Promise.resolve()).catch(() => {}).then(async () => {
      if (this.#refreshQueued === next) this.#refreshQueued = undefined
      this.#refreshRunning = next
      try {
        await this.#refreshOnce()
      } finally {
        if (this.#refreshRunning === next) this.#refreshRunning = undefined
      }
    })
    if (running !== undefined) this.#refreshQueued = next
    else this.#refreshRunning = next
    return await next
  }

  async #refreshOnce (): Promise<void> {
    this.#lookedAt = performance.now()
    let names: string[]
    let stamp: FolderStamp
    try {
      stamp = await folderStamp(this.fs, this.packDir)
      // a new pack or index changes the folder's mtime; asking for a missing object must not list the folder each time
      if (stamp.trusted && stamp.mtimeMs === this.dirMtime && this.problems.length === 0) return
      names = await this.fs.readdir(this.packDir)
    } catch {
      return
    }
    const mine = this.writing()
    for (const name of names.filter((n) => /^pack-[0-9a-f]{32}\.pack$/.test(n)).sort()) {
      const packPath = join(this.packDir, name)
      const indexPath = packPath.replace(/\.pack$/, '.idx')
      if (packPath === mine) continue
      const known = this.packs.get(packPath)
      try {
        if (known !== undefined) {
          // another process's writer checkpointed this pack again: read its longer index, keeping
          // the open pack (and its readers) as it is
          const indexStamp = await this.indexStamp(indexPath)
          if (indexStamp === this.indexStamps.get(packPath)) continue
          await known.reindex(this.fs, indexPath)
          this.indexStamps.set(packPath, indexStamp)
          continue
        }
        const locked = names.includes(name.replace(/\.pack$/, '.lock'))
        const hasIndex = names.includes(name.replace(/\.pack$/, '.idx'))
        const recovered = locked || !hasIndex ? await recoverPack(this.fs, packPath, indexPath) : 0
        if (recovered === PACK_DROPPED || (recovered === WRITER_ALIVE && !hasIndex)) continue
        const indexStamp = await this.indexStamp(indexPath)
        this.packs.set(packPath, await PackFile.open(this.fs, packPath, indexPath))
        this.indexStamps.set(packPath, indexStamp)
      } catch (err) {
        if (this.problems.some((p) => p.pack === packPath)) continue
        const gasErr = err instanceof GasError ? err : fromFsError(err, packPath)
        this.problems.push({ pack: packPath, code: gasErr.code, message: gasErr.message })
      }
    }
    for (const pack of this.packs.values()) {
      const maskName = basename(maskPathOf(pack.packPath))
      if (!names.includes(maskName) && pack.masked.size === 0) continue
      const maskStamp = await this.indexStamp(maskPathOf(pack.packPath))
      if (maskStamp === this.maskStamps.get(pack.packPath)) continue
      pack.setMask(await readMask(this.fs, pack.packPath))
      this.maskStamps.set(pack.packPath, maskStamp)
    }
    // recorded after the look, so a change made while it ran is seen by the next one
    this.dirMtime = stamp.mtimeMs
  }

  /** when the folder was last looked at (performance.now()) */
  get lookedAt (): number {
    return this.#lookedAt
  }

  /** inode, size and mtime: a checkpoint renames a new index into place, so its inode changes even within one mtime tick */
  private async indexStamp (indexPath: string): Promise<string> {
    const st = await this.fs.stat(indexPath).catch(() => undefined)
    return st === undefined ? '' : `${st.ino}:${st.size}:${st.mtimeMs}`
  }

  /** the open packs, in the order they were opened */
  files (): IterableIterator<PackFile> {
    return this.packs.values()
  }

  /** The pack holding `id` (unmasked), if one does. */
  find (id: ObjectId): PackFile | undefined {
    for (const pack of this.packs.values()) if (pack.has(id)) return pack
    return undefined
  }

  /** find, for an id given as its 32 bytes: whether a pack holds it (unmasked) */
  holdsKey (key: Buffer): boolean {
    for (const pack of this.packs.values()) if (pack.locateId(key) !== undefined) return true
    return false
  }

  /** A pack this process wrote and closed joins the others. */
  add (pack: PackFile): void {
    this.packs.set(pack.packPath, pack)
  }

  /** Closes every pack; a failure to close one does not keep the others open. */
  async closeAll (): Promise<void> {
    for (const pack of this.packs.values()) await pack.close().catch(() => {})
    this.packs.clear()
  }
}
