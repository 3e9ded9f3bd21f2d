import { GasError } from '../errors.js'
import { writeFileAtomic } from '../objects/atomic-write.js'
import type { FileSystem } from '../objects/fs.js'
import { decompress } from '../objects/compression.js'
import { hashObject } from '../objects/id.js'
import { isProcessAlive } from '../objects/process-alive.js'
import { ENTRY_HEADER, PACK_MAGIC } from './pack-entry.js'
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

/**
 * After a crash (SIGKILL, power loss) a pack may hold entries its index does not cover yet. Every
 * entry carries its id, so we re-read the tail, keep each entry whose bytes hash to its id, stop at
 * the first partial or bad one, and write an index over the good prefix. Nothing complete is lost,
 * so an interrupted ingest or transfer resumes without fetching those chunks again.
 * Returns how many entries were recovered, or -1 when the pack belongs to a live writer.
 */
export async function recoverPack (fs: FileSystem, packPath: string, indexPath: string): Promise<number> {
  const lockPath = lockPathOf(packPath)
  if (await writerAlive(fs, lockPath)) return -1
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
    await handle.read(magic, 0, magic.length, 0)
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
      entries.push({ id: entry.header.id, offset })
      offset += ENTRY_HEADER + entry.bytes.length
      recovered++
    }
  } finally {
    await handle.close()
  }
  await writeFileAtomic(fs, indexPath, encodePackIndex(entries, offset))
  await fs.rm(lockPath, { force: true })
  return recovered
}
