import { join } from 'node:path'
import { GasError } from '../errors.js'
import { compressChunk, decompress } from '../objects/compression.js'
import { realFs, type FileSystem } from '../objects/fs.js'
import { hashObject, type ObjectId, type ObjectType } from '../objects/id.js'
import { LooseStore } from '../objects/loose-store.js'
import { LOOSE_WHEN_RECEIVED, type EncodedObject, type EntryChecksum, type ObjectStore, type StoredObject } from '../objects/store.js'
import { crc32Of } from './entry-checksum.js'
import { encodeEntryHeader } from './pack-entry.js'
import type { BufferPool } from '../objects/buffer-pool.js'
import type { LendingPool } from './lending-pool.js'
import { FileCompleteTrees, MemoryCompleteTrees, type CompleteTrees } from '../objects/complete-trees.js'
import { PackFile, readEntry } from './pack-file.js'
import { PackWriter } from './pack-writer.js'
import { PackFolder } from './pack-folder.js'
import { listQuarantined, quarantineLoose, quarantinePacked, releaseQuarantined, type QuarantinedCopy } from './quarantine.js'

/** why: see has(); a pack another process adds is seen within this long */
const PACK_RECHECK_MS = 100
/**
 * why: received objects are written out every 512 KiB rather than every 2 MiB as in ingest: a
 * fetcher killed mid-sync loses what it has not written and fetches it again (resume), while
 * ingest, which reads its source again anyway, keeps the larger writes.
 */
const RECEIVED_WRITE_BYTES = 512 * 1024

/** A pack read by ranges: chunk-runs.ts reads runs of entries with one read each. */
/** `fd`: the pack's open descriptor, where ranges of it may be copied inside the kernel (a closed pack's; not the open pack, whose tail may still be buffered) */
export interface PackRange { readonly packPath: string, readRange: (buffer: Uint8Array, offset: number) => Promise<number>, readonly fd?: number }

export interface PackProblem { pack: string, code: string, message: string }

/**
 * The on-disk ObjectStore of a workspace: chunks in append-only packs, other objects loose.
 * Every read is verified against its id.
 */
export class FileStore implements ObjectStore {
  readonly loose: LooseStore
  readonly packDir: string
  /** the closed packs, kept up with other processes */
  private readonly packs: PackFolder
  private writer: PackWriter | undefined
  private writerOpening: Promise<PackWriter> | undefined
  completeTrees: CompleteTrees = new MemoryCompleteTrees()
  /** ids whose damaged bytes are set aside (quarantine.ts), waiting for a verified copy */
  #quarantined = new Set<ObjectId>()
  /** replacements appended to the open pack: their set-aside bytes go once a checkpoint makes them durable */
  #replacedInPack = new Set<ObjectId>()

  private constructor (readonly fs: FileSystem, readonly objectsDir: string) {
    this.loose = new LooseStore(fs, objectsDir)
    this.packDir = join(objectsDir, 'pack')
    this.packs = new PackFolder(fs, this.packDir, () => this.writer?.packPath)
  }

  static async open (objectsDir: string, fs: FileSystem = realFs): Promise<FileStore> {
    const store = new FileStore(fs, objectsDir)
    await store.refreshPacks()
    store.#quarantined = new Set((await listQuarantined(fs, objectsDir)).keys())
    store.completeTrees = await FileCompleteTrees.open(fs, objectsDir)
    return store
  }

  /** Packs that could not be opened; the rest of the store stays readable. */
  get packProblems (): PackProblem[] {
    return this.packs.problems
  }

  /** Opens packs other processes added or checkpointed again since the last look (pack-folder.ts). */
  async refreshPacks (): Promise<void> {
    await this.packs.refresh()
  }

  packFiles (): PackFile[] {
    return [...this.packs.files()]
  }

  private findPacked (id: ObjectId): PackFile | undefined {
    return this.packs.find(id)
  }

  /**
   * The pack holding `id` (the open one included), its offset there and its entry's crc32 when
   * known, without disk access; undefined for loose objects or ones not here.
   */
  locatePacked (id: ObjectId): { pack: PackRange, offset: number, crc: number | undefined } | undefined {
    const pending = this.writer?.offsetOf(id)
    if (pending !== undefined) return { pack: this.writer!, offset: pending, crc: this.writer!.crcOf(id) }
    for (const pack of this.packs.files()) {
      const at = pack.locate(id)
      if (at !== undefined) return { pack, offset: at.offset, crc: at.crc }
    }
    return undefined
  }

  /** Packs only, no disk access: chunks never rest loose, so ingest asks this per chunk. */
  hasPacked (id: ObjectId): boolean {
    return this.writer?.has(id) === true || this.findPacked(id) !== undefined
  }

  /**
   * `type` 'chunk' is the bulk question (a sync asks about every chunk of a project: 1.6 M in
   * 100 GB, and a loose-object stat plus a pack-folder stat per miss cost 120 µs each): it skips the
   * loose objects (chunks never rest there) and looks for packs other processes wrote at most
   * every PACK_RECHECK_MS. Without a type a miss always looks again.
   */
  async has (id: ObjectId, type?: ObjectType): Promise<boolean> {
    if (this.hasPacked(id)) return true
    if (type === 'chunk') {
      if (performance.now() - this.packs.lookedAt < PACK_RECHECK_MS) return false
    } else if (await this.loose.has(id)) return true
    await this.refreshPacks()
    return this.findPacked(id) !== undefined
  }

  /**
   * has(id, 'chunk') for an id given as its 32 bytes, answered without I/O: true or false, or
   * undefined when the pack folder is due another look (then ask `has`). why: a sync's walk asks
   * about every chunk of every wanted file; a promise and a hex string each were ~2 µs of ~4.
   */
  hasChunkKey (key: Buffer): boolean | undefined {
    if (this.writer?.hasKey(key) === true || this.packs.holdsKey(key)) return true
    return performance.now() - this.packs.lookedAt < PACK_RECHECK_MS ? false : undefined
  }

  async getEncoded (id: ObjectId, pool?: BufferPool): Promise<EncodedObject | undefined> {
    if (this.writer?.has(id) === true) return await this.readPending(id, pool)
    let pack = this.findPacked(id)
    if (pack === undefined) {
      const loose = await this.loose.read(id)
      if (loose !== undefined) return { type: loose.type, encoding: 0, rawLength: loose.body.length, bytes: loose.body }
      await this.refreshPacks()
      pack = this.findPacked(id)
    }
    return await pack?.read(id, pool)
  }

  /** getEncoded() of a packed object whose bytes are in memory already (lent out of a read-ahead window); undefined when the caller must await getEncoded(). */
  getEncodedNow (id: ObjectId, pool: LendingPool): EncodedObject | undefined {
    if (this.writer?.has(id) === true) return undefined
    for (const pack of this.packs.files()) {
      const offset = pack.offsetOf(id)
      if (offset !== undefined) return pack.readNow(id, offset, pool)
    }
    return undefined
  }

  /**
   * `pool`: the entry is read into its buffers, as from a closed pack. why: an object served from
   * the pack this process is still writing (the programmatic API adding and serving in one
   * process) was a fresh buffer each, 1 GiB of garbage per GiB served: the one-process WebRTC
   * sync spent a quarter of its main thread in the garbage collector
   */
  private async readPending (id: ObjectId, pool?: BufferPool): Promise<EncodedObject | undefined> {
    const writer = this.writer!
    const at = (await this.#writing(writer, async () => await writer.read(id)))!
    const { header, bytes } = await readEntry(at.handle, at.offset, writer.packPath, pool)
    return { type: header.type, encoding: header.encoding, rawLength: header.rawLength, bytes }
  }

  /**
   * A copy that fails its check may have been set aside by another process since this one looked
   * (a repair): the packs are looked at again once before the damage is reported.
   */
  async get (id: ObjectId): Promise<StoredObject> {
    try {
      return await this.#getVerified(id)
    } catch (err) {
      if (!(err instanceof GasError && err.code === 'E_CORRUPT_OBJECT')) throw err
      await this.refreshPacks()
      return await this.#getVerified(id)
    }
  }

  async #getVerified (id: ObjectId): Promise<StoredObject> {
    const encoded = await this.getEncoded(id)
    if (encoded === undefined) throw GasError.notFound(`object ${id}`, { id })
    const body = decompress(encoded.encoding, encoded.bytes, encoded.rawLength, id)
    if (hashObject(encoded.type, body) !== id) throw GasError.corruptObject(id, 'content does not match its id')
    return { type: encoded.type, body }
  }

  async put (type: ObjectType, body: Uint8Array): Promise<ObjectId> {
    const id = hashObject(type, body)
    if (type === 'chunk') {
      const { encoding, bytes } = compressChunk(body)
      await this.putTrusted(id, { type, encoding, rawLength: body.length, bytes })
    } else {
      await this.loose.write(type, body, id)
      await this.#replaced(id, 'loose')
    }
    return id
  }

  /**
   * Received objects go into the pack, as git's fetch does, except versions and tags: those stay
   * loose, where an id prefix finds them. why: a file per tree, asset and manifest cost ~1 ms of
   * the thread pool each (4000 in a first sync of 2000 assets); appending to the pack costs a copy.
   */
  async putEncoded (id: ObjectId, object: EncodedObject, hashedId?: ObjectId, checksum?: EntryChecksum): Promise<void> {
    const raw = decompress(object.encoding, object.bytes, object.rawLength, id)
    if ((hashedId ?? hashObject(object.type, raw)) !== id) throw GasError.corruptObject(id, 'received bytes do not match the id')
    if (!LOOSE_WHEN_RECEIVED.has(object.type)) await this.#appendToPack(id, object, RECEIVED_WRITE_BYTES, true, checksum)
    else {
      await this.loose.write(object.type, raw, id)
      await this.#replaced(id, 'loose')
    }
  }

  /**
   * Metadata made here (a `gas add`'s manifests and assets) into the open pack, as received objects
   * go: why: a loose file each cost ~1.5 ms (two per asset, 10 minutes for 200 000 assets). Versions
   * and tags stay loose, as in putEncoded. The caller flushes before naming them in the index.
   */
  async putPacked (type: ObjectType, body: Uint8Array, id = hashObject(type, body)): Promise<ObjectId> {
    if (LOOSE_WHEN_RECEIVED.has(type)) {
      await this.loose.write(type, body, id)
      await this.#replaced(id, 'loose')
    } else await this.#appendToPack(id, { type, encoding: 0, rawLength: body.length, bytes: body })
    return id
  }

  /** A received object's entry begins with its header: its CRC-32 (entry-checksum.ts), for putEncoded's `checksum`. Versions and tags rest loose: none. */
  receivedChecksumSeed (id: ObjectId, object: EncodedObject): number | undefined {
    if (LOOSE_WHEN_RECEIVED.has(object.type)) return undefined
    return crc32Of(encodeEntryHeader({ type: object.type, encoding: object.encoding, rawLength: object.rawLength, storedLength: object.bytes.length, id }))
  }

  /** For callers that just computed `id` from these very bytes (ingest): skips hashing twice. */
  async putTrusted (id: ObjectId, object: EncodedObject): Promise<void> {
    if (object.type !== 'chunk') {
      await this.loose.write(object.type, decompress(object.encoding, object.bytes, object.rawLength, id), id)
      await this.#replaced(id, 'loose')
      return
    }
    // chunks bypass the page cache as received ones do (see #appendToPack)
    await this.#appendToPack(id, object, undefined, true)
  }

  /**
   * `direct`: the pack's pages are not kept (PackWriter.dropWrittenPages: O_DIRECT for a fresh
   * pack), for chunks, received or added. why for ingest too: through the page cache a 1 GiB `gas
   * add` spent ~1.2 s more system time copying and writing back (sys 1.65 -> 0.48 s, add 3.0 ->
   * 2.5 s, 3 alternating runs each; end to end add+commit+sync 10.1 -> 8.8 s). What it costs: the
   * first restore or serve of what was just added reads the disk, not the page cache.
   */
  async #appendToPack (id: ObjectId, object: EncodedObject, writeAt?: number, direct = false, checksum?: EntryChecksum): Promise<void> {
    if (this.hasPacked(id)) return
    const writer = await this.openWriter()
    await this.#writing(writer, async () => {
      if (direct) await writer.dropWrittenPages()
      await writer.append(id, object, writeAt, checksum)
    })
    await this.#replaced(id, 'pack')
  }

  /** Runs a step of the open pack's writer; if the writer failed (a full disk, an I/O error), it is retired first. */
  async #writing<T> (writer: PackWriter, step: () => Promise<T>): Promise<T> {
    try {
      return await step()
    } catch (err) {
      await this.#retireIfFailed(writer)
      throw err
    }
  }

  /**
   * A writer that failed takes no more objects: it is closed and the next object starts a new
   * pack, so a process that keeps its store open (`gas serve` fetching queued content, a program
   * on the API) goes on once space is freed ("free space and retry"); what it made durable before
   * the failure stays readable, the rest is not claimed.
   */
  async #retireIfFailed (writer: PackWriter): Promise<void> {
    if (!writer.failed || this.writer !== writer) return
    this.writer = undefined
    this.writerOpening = undefined
    // replacements of quarantined objects in it may not be durable: their set-aside bytes stay
    this.#replacedInPack.clear()
    await writer.close().catch(() => {})
    const durable = writer.durableCount > 0 ? await PackFile.open(this.fs, writer.packPath, writer.indexPath).catch(() => undefined) : undefined
    if (durable !== undefined) this.packs.add(durable)
  }

  /** A verified copy of a quarantined id was stored: its set-aside bytes go once that copy is durable. */
  async #replaced (id: ObjectId, where: 'loose' | 'pack'): Promise<void> {
    if (!this.#quarantined.has(id)) return
    if (where === 'pack') { this.#replacedInPack.add(id); return }
    this.#quarantined.delete(id)
    await releaseQuarantined(this.fs, this.objectsDir, id)
  }

  async #releaseReplacedInPack (): Promise<void> {
    for (const id of this.#replacedInPack) {
      this.#quarantined.delete(id)
      await releaseQuarantined(this.fs, this.objectsDir, id)
    }
    this.#replacedInPack.clear()
  }

  /**
   * Sets aside every damaged copy of `id` (fsck found it, or a read failed its check), so a good
   * copy can be stored again: a loose copy is moved to objects/quarantine/, a copy inside a pack
   * is copied there and masked. From then on `has(id)` is false and reads skip the damaged bytes,
   * until a put (or putEncoded of a fetched copy, verified as always) stores a good one; the
   * set-aside bytes are deleted only once that copy is durable (at once for loose objects, at the
   * next flush/close for pack entries). Good copies are left alone; `goodCopies` counts them.
   */
  async quarantine (id: ObjectId): Promise<{ id: ObjectId, quarantined: QuarantinedCopy[], goodCopies: number }> {
    await this.close() // the open pack joins the others, so its copy is checked too
    await this.refreshPacks()
    const quarantined: QuarantinedCopy[] = []
    let goodCopies = 0
    for (const pack of this.packs.files()) {
      const offset = pack.offsetOf(id)
      if (offset === undefined) continue
      if (await verifies(async () => await pack.readAt(id, offset), id)) { goodCopies++; continue }
      quarantined.push(await quarantinePacked(this.fs, this.objectsDir, id, pack.packPath, offset, pack.masked))
      pack.setMask(new Set([...pack.masked, offset]))
    }
    if (await this.loose.has(id)) {
      if (await verifies(async () => await this.loose.read(id), id)) goodCopies++
      else quarantined.push(await quarantineLoose(this.fs, this.objectsDir, id, this.loose.pathOf(id)))
    }
    if (quarantined.length > 0 || (await listQuarantined(this.fs, this.objectsDir)).has(id)) this.#quarantined.add(id)
    // a tree above the set-aside object is no longer held whole: the next sync walks it and fetches the object
    if (quarantined.length > 0) await this.completeTrees.clear()
    if (goodCopies > 0) await this.#replaced(id, 'loose')
    return { id, quarantined, goodCopies }
  }

  /** Ids whose damaged bytes are set aside with no verified copy stored yet, and where those bytes are. */
  async quarantinedObjects (): Promise<Map<ObjectId, string[]>> {
    return await listQuarantined(this.fs, this.objectsDir)
  }

  private async openWriter (): Promise<PackWriter> {
    if (this.writer !== undefined) return this.writer
    this.writerOpening ??= PackWriter.create(this.fs, this.packDir)
    this.writer = await this.writerOpening
    return this.writer
  }

  async flush (): Promise<void> {
    const writer = this.writer
    if (writer !== undefined) await this.#writing(writer, async () => await writer.checkpoint())
    await this.#releaseReplacedInPack()
  }

  /** Checkpoints and closes the open pack; the next chunk starts a new one. */
  async close (): Promise<void> {
    const writer = this.writer
    this.writer = undefined
    this.writerOpening = undefined
    if (writer !== undefined) {
      await writer.close()
      await this.#releaseReplacedInPack()
      if (writer.count > 0) this.packs.add(await PackFile.open(this.fs, writer.packPath, writer.indexPath))
    }
  }

  async closeAll (): Promise<void> {
    try {
      await this.close()
    } finally {
      // a failed flush (a full disk) must not leave the read handles to the garbage collector
      await this.packs.closeAll()
    }
  }
}

/** True when the copy `read` returns hashes to `id`; any failure to read or decode counts as damaged. */
async function verifies (read: () => Promise<EncodedObject | StoredObject | undefined>, id: ObjectId): Promise<boolean> {
  try {
    const object = await read()
    if (object === undefined) return false
    if ('body' in object) return hashObject(object.type, object.body) === id // loose reads verify already
    return hashObject(object.type, decompress(object.encoding, object.bytes, object.rawLength, id)) === id
  } catch {
    return false
  }
}
