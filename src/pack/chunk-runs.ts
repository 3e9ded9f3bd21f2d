import { GasError } from '../errors.js'
import type { ChunkRef } from '../objects/file-manifest.js'
import type { ObjectId } from '../objects/id.js'
import type { EncodedObject, ObjectStore } from '../objects/store.js'
import { FileStore, type PackRange } from './file-store.js'
import { checksumOfEntryBytes } from './entry-checksum.js'
import { ENTRY_HEADER, decodeEntryHeader } from './pack-entry.js'

/**
 * why: 8 MiB per read(2). Restoring 1 GiB one 64 KiB chunk at a time cost ~16 000 thread-pool
 * round trips and as many small copies (system time 5 s where `cp` needs ~1.6 s); a run of
 * adjacent entries read at once is answered by one, and its entries are handed out as views of
 * the buffer, not copied.
 */
export const RUN_READ_BYTES = 8 * 1024 * 1024
/** why: two runs read ahead while one is consumed keeps the disk busy while the caller hashes and writes */
const RUNS_AHEAD = 2

/** why: a fresh buffer per run cost a page fault per 4 KiB the kernel must zero first (~0.5 s of system time per GiB); these few are reused */
const MAX_SPARE_RUNS = 4
const spareRuns: Buffer[] = []

/**
 * One chunk as its pack holds it. `bytes` may be a view of a larger read buffer: the caller calls
 * `release` once it no longer reads them (the buffer is reused for a later run when all its
 * chunks are released; a caller that never releases just leaves it to the garbage collector).
 */
export type OrderedChunk = EncodedObject & {
  id: ObjectId
  release: () => void
  /**
   * true when the entry's bytes match the crc32 its pack's index holds (entry-checksum.ts): they are
   * what was verified against the id when stored. false: not checked here (loose, a version 1
   * index, or a checksum that did not match); the caller verifies them against the id.
   */
  verified: boolean
  /** the chunk's raw length as the list asked for it */
  length: number
}

interface Run {
  pack: PackRange | undefined
  chunks: ChunkRef[]
  /** offset of each chunk in the pack; undefined for a chunk read through the store */
  offsets: Array<number | undefined>
  /** crc32 of each chunk's entry, where the index holds one */
  crcs: Array<number | undefined>
  start: number
  read: Promise<{ buffer: Buffer, got: number }> | undefined
  /** chunks of this run not yet released */
  holders: number
}

/**
 * The encoded chunks of `chunks`, in that order. Chunks whose pack entries lie within
 * RUN_READ_BYTES of each other (ingest and fetch append them so, in file order or nearly: a fetch
 * receives them in any order within its window of requests) are read with one read per run; the
 * rest (loose, another store, an entry longer than its hint) one at a time through `store`.
 * Ids are not hashed here: an entry whose crc32 matches its index's is marked `verified`; the
 * caller checks the others against their ids (or hashes what it builds from them).
 */
export async function * readChunksInOrder (store: ObjectStore, chunks: Iterable<ChunkRef>): AsyncGenerator<OrderedChunk> {
  const locate = store instanceof FileStore ? (id: ObjectId) => store.locatePacked(id) : () => undefined
  // why an iterable, taken as it goes: a 10 GB file's list as ChunkRef objects is ~25 MiB of heap (restore.ts passes a lazy one)
  const source = chunks[Symbol.iterator]()
  let peeked = source.next()
  const planRun = (): Run => {
    const first = peeked.value as ChunkRef
    peeked = source.next()
    const at = locate(first.id)
    if (at === undefined) return { pack: undefined, chunks: [first], offsets: [undefined], crcs: [undefined], start: 0, read: undefined, holders: 0 }
    const run: Run = { pack: at.pack, chunks: [first], offsets: [at.offset], crcs: [at.crc], start: at.offset, read: undefined, holders: 0 }
    // a stored entry is never longer than the raw chunk (compression.ts keeps zstd only when smaller)
    let low = at.offset
    let high = at.offset + ENTRY_HEADER + first.length
    while (peeked.done !== true) {
      const chunk = peeked.value
      const where = locate(chunk.id)
      if (where === undefined || where.pack !== at.pack) break
      const newLow = Math.min(low, where.offset)
      const newHigh = Math.max(high, where.offset + ENTRY_HEADER + chunk.length)
      if (newHigh - newLow > RUN_READ_BYTES) break
      low = newLow
      high = newHigh
      run.chunks.push(chunk)
      run.offsets.push(where.offset)
      run.crcs.push(where.crc)
      peeked = source.next()
    }
    run.start = low
    run.read = readRun(at.pack, low, high - low)
    // a failed read is reported when its run is consumed; until then it must not count as unhandled
    run.read.catch(() => {})
    return run
  }
  const queue: Run[] = []
  while (queue.length > 0 || peeked.done !== true) {
    while (queue.length <= RUNS_AHEAD && peeked.done !== true) queue.push(planRun())
    const run = queue.shift()!
    const got = run.read === undefined ? undefined : await run.read
    // the run's own hold, dropped once every chunk is handed out
    run.holders = 1
    const release = (): void => {
      if (--run.holders === 0 && got !== undefined && spareRuns.length < MAX_SPARE_RUNS) spareRuns.push(got.buffer)
    }
    try {
      for (let i = 0; i < run.chunks.length; i++) {
        const { id, length } = run.chunks[i]
        const offset = run.offsets[i]
        const entry = got === undefined || offset === undefined ? undefined : entryInRun(got, offset - run.start, id, store)
        if (entry === undefined) { yield { ...await readThroughStore(store, id), release: () => {}, verified: false, length }; continue }
        const crc = run.crcs[i]
        run.holders++
        yield { ...entry, release, verified: crc !== undefined && checksumOfEntryBytes(entry.entryBytes) === crc, length }
      }
    } finally {
      release()
    }
  }
}

async function readRun (pack: PackRange, offset: number, length: number): Promise<{ buffer: Buffer, got: number }> {
  const spare = spareRuns.pop()
  const buffer = spare ?? Buffer.allocUnsafe(RUN_READ_BYTES)
  return { buffer, got: await pack.readRange(buffer.subarray(0, length), offset) }
}

/** The entry at `at` of a run's buffer, or undefined when it is not all there (the store reads it then, and reports what is wrong). */
function entryInRun (run: { buffer: Buffer, got: number }, at: number, id: ObjectId, store: ObjectStore): EncodedObject & { id: ObjectId, entryBytes: Buffer } | undefined {
  if (at + ENTRY_HEADER > run.got) return undefined
  const header = decodeEntryHeader(run.buffer.subarray(at, at + ENTRY_HEADER), store instanceof FileStore ? store.packDir : 'pack')
  if (header.id !== id) throw GasError.corruptObject(id, `pack entry holds ${header.id}`)
  const end = at + ENTRY_HEADER + header.storedLength
  if (end > run.got) return undefined
  return { id, type: header.type, encoding: header.encoding, rawLength: header.rawLength, bytes: run.buffer.subarray(at + ENTRY_HEADER, end), entryBytes: run.buffer.subarray(at, end) }
}

async function readThroughStore (store: ObjectStore, id: ObjectId): Promise<EncodedObject & { id: ObjectId }> {
  const encoded = await store.getEncoded(id)
  if (encoded === undefined) throw GasError.notFound(`object ${id}`, { id })
  return { ...encoded, id }
}
