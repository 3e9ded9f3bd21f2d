import { GasError } from '../errors.js'
import { writeFileAtomic } from '../objects/atomic-write.js'
import type { FileSystem } from '../objects/fs.js'
import { decompress } from '../objects/compression.js'
import { hashObject } from '../objects/id.js'
import { isProcessAlive } from '../objects/process-alive.js'
import { entryChecksum } from './entry-checksum.js'
import { ENTRY_HEADER, PACK_MAGIC, encodeEntryHeader } from './pack-entry.js'
import { readEntry } from './pack-file.js'
import { PackIndex, encodePackIndex, type IndexEntry } from './pack-index.js'
import { lockPathOf } from './pack-writer.js'

/** True while the process that wrote `lockPath` still runs: its pack may still grow. */
async function writerAlive (fs: FileSystem, lockPath: string): Promise<boolean> {
  try {
    return isProcessAlive(Number(await fs.readFile(lockPath, 'utf8')))
  } catch {
    return false
  }
}

export const WRITER_ALIVE = -1
export const PACK_DROPPED = -2

/**
 * After a crash (SIGKILL, power loss) a pack may hold entries its index does not cover yet. Every
 * entry carries its id, so we re-read the tail, keep each entry whose bytes hash to its id, stop at
 * the first partial or bad one, and write an index over the good prefix. Nothing complete is lost,
 * so an interrupted ingest or transfer resumes without fetching those chunks again.
 * Returns how many entries were recovered, WRITER_ALIVE when the pack belongs to a live writer,
 * or PACK_DROPPED when the writer died before the pack held even its magic (nothing to keep).
 */
export async function recoverPack (fs: FileSystem, packPath: string, indexPath: string): Promise<number> {
  const lockPath = lockPathOf(packPath)
  if (await writerAlive(fs, lockPath)) return WRITER_ALIVE
  const entries: IndexEntry[] = []
  let offset = PACK_MAGIC.length
  try {
    const old = PackIndex.parse(await fs.readFile(indexPath), indexPath)
    for (const e of old.entries()) entries.push(e)
    offset = old.packSize
  } catch {
    // no usable index: rebuild from the start of the pack
  }
  const handle = await fs.open(packPath, 'r')
  let recovered = 0
  try {
    const magic = Buffer.alloc(PACK_MAGIC.length)
    const { bytesRead } = await handle.read(magic, 0, magic.length, 0)
    // why: a writer killed between creating its pack and writing the magic leaves a few bytes of
    // nothing; that pack held no object, so it goes (with its lock) instead of reading as damage
    if (bytesRead < PACK_MAGIC.length && magic.subarray(0, bytesRead).equals(PACK_MAGIC.subarray(0, bytesRead))) {
      recovered = PACK_DROPPED
      return recovered
    }
    if (!magic.equals(PACK_MAGIC)) throw new GasError('E_CORRUPT_PACK', `${packPath}: bad pack magic`, { what: packPath })
    const { size } = await handle.stat()
    while (offset + ENTRY_HEADER <= size) {
      let entry
      try {
        entry = await readEntry(handle, offset, packPath)
        const raw = decompress(entry.header.encoding, entry.bytes, entry.header.rawLength, entry.header.id)
        if (hashObject(entry.header.type, raw) !== entry.header.id) break
      } catch {
        break
      }
      // the checksum of bytes just verified against their id (the header re-encodes to the bytes read: the format is canonical)
      entries.push({ id: entry.header.id, offset, crc: entryChecksum(encodeEntryHeader(entry.header), entry.bytes) })
      offset += ENTRY_HEADER + entry.bytes.length
      recovered++
    }
  } finally {
    await handle.close()
    if (recovered === PACK_DROPPED) {
      await fs.rm(packPath, { force: true })
      await fs.rm(indexPath, { force: true })
      await fs.rm(lockPath, { force: true })
    }
  }
  await writeFileAtomic(fs, indexPath, encodePackIndex(entries, offset))
  await fs.rm(lockPath, { force: true })
  return recovered
}
