import type { ErrorCode } from '../errors.js'
import { writeFileAtomic } from '../objects/atomic-write.js'
import { decompress } from '../objects/compression.js'
import { hashObject, type ObjectId } from '../objects/id.js'
import type { EncodedObject } from '../objects/store.js'
import { entryChecksum } from './entry-checksum.js'
import { encodeEntryHeader } from './pack-entry.js'
import { encodePackIndex, type IndexEntry } from './pack-index.js'
import type { FileStore } from './file-store.js'
import type { PackFile } from './pack-file.js'

/**
 * The crc32 an index (version 2) keeps for each pack entry vouches for the entry's bytes at restore
 * and checkout instead of a second SHA-256 (entry-checksum.ts). An index whose crc32 is wrong for
 * an entry that is itself whole (its bytes hash to its id) makes every read of that object fail as
 * "damaged" although nothing in the pack is: fsck reports it as E_INDEX_CRC, and `gas fsck --repair`
 * writes the index again with the entry's crc32, no peer needed.
 */

/** The crc32 of a pack entry as read (its header is canonical: encoded again from what it says). */
export function crcOfEntry (id: ObjectId, object: EncodedObject): number {
  const header = encodeEntryHeader({ type: object.type, encoding: object.encoding, rawLength: object.rawLength, storedLength: object.bytes.length, id })
  return entryChecksum(header, object.bytes)
}

export function indexPathOf (packPath: string): string {
  return packPath.replace(/\.pack$/, '.idx')
}

/** The problem fsck reports for an index entry whose crc32 differs from its (whole) entry's. */
export function crcMismatch (pack: PackFile, id: ObjectId, offset: number, indexCrc: number, entryCrc: number): { id: string, code: string, message: string } {
  return {
    id,
    code: 'E_INDEX_CRC' satisfies ErrorCode,
    message: `${indexPathOf(pack.packPath)} holds crc32 ${hex(indexCrc)} for object ${id} at offset ${offset}, but the entry (whole: it hashes to its id) has ${hex(entryCrc)}; reads of it fail as damaged: \`gas fsck --repair\` writes the index again`
  }
}

function hex (crc: number): string {
  return crc.toString(16).padStart(8, '0')
}

function hashesToId (id: ObjectId, object: EncodedObject): boolean {
  try {
    return hashObject(object.type, decompress(object.encoding, object.bytes, object.rawLength, id)) === id
  } catch {
    return false
  }
}

export interface ReindexedPack { index: string, ids: ObjectId[] }

/**
 * Writes again, with each entry's own crc32, every index that holds a wrong one for a whole entry.
 * An entry that does not hash to its id is left alone: that is damage in the pack (fsck reports it,
 * and the repair fetches a good copy). A pack another process is still writing (its `.lock`) is
 * skipped: that process rewrites its index at the next checkpoint.
 */
export async function repairIndexCrcs (store: FileStore): Promise<ReindexedPack[]> {
  await store.close() // the open pack joins the others
  await store.refreshPacks()
  const names = new Set(await store.fs.readdir(store.packDir).catch(() => [] as string[]))
  const repaired: ReindexedPack[] = []
  for (const pack of store.packFiles()) {
    if (names.has(pack.packPath.replace(/^.*\//, '').replace(/\.pack$/, '.lock'))) continue
    const entries: IndexEntry[] = []
    const ids: ObjectId[] = []
    for (const entry of pack.index.entries()) {
      entries.push(entry)
      if (entry.crc === undefined || pack.masked.has(entry.offset)) continue
      const object = await pack.readAt(entry.id, entry.offset).catch(() => undefined)
      if (object === undefined) continue
      const crc = crcOfEntry(entry.id, object)
      if (crc === entry.crc) continue
      if (!hashesToId(entry.id, object)) continue
      entry.crc = crc
      ids.push(entry.id)
    }
    if (ids.length === 0) continue
    const index = indexPathOf(pack.packPath)
    await writeFileAtomic(store.fs, index, encodePackIndex(entries, pack.index.packSize), { what: index })
    repaired.push({ index, ids })
  }
  if (repaired.length > 0) await store.refreshPacks()
  return repaired
}
