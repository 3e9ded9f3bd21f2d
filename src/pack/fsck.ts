import { GasError } from '../errors.js'
import { decompress } from '../objects/compression.js'
import { hashObject, type ObjectId } from '../objects/id.js'
import type { FileStore } from './file-store.js'
import { crcMismatch, crcOfEntry } from './index-crc.js'

export interface Problem { id: string, code: string, message: string }

function problemOf (id: string, err: unknown): Problem {
  if (err instanceof GasError) return { id, code: err.code, message: err.message }
  return { id, code: 'E_IO', message: (err as Error).message }
}

/**
 * Re-hashes every object the store holds, in packs and loose, and reports each one that is wrong;
 * the rest stays readable. Calls `onObject` for every good object (for stat-like totals).
 */
export async function checkStore (store: FileStore, onObject?: (id: ObjectId, type: string, storedLength: number) => void): Promise<Problem[]> {
  await store.close() // the open pack joins the others, so it is checked too
  await store.refreshPacks()
  const problems: Problem[] = store.packProblems.map((p) => ({ id: p.pack, code: p.code, message: p.message }))
  for (const pack of store.packFiles()) {
    for (const { id, offset, crc } of pack.index.entries()) {
      if (pack.masked.has(offset)) continue // set aside already: reported below until replaced
      try {
        const object = await pack.readAt(id, offset)
        const raw = decompress(object.encoding, object.bytes, object.rawLength, id)
        if (hashObject(object.type, raw) !== id) throw GasError.corruptObject(id, `content in ${pack.packPath} does not match its id`)
        // why also the crc32: restore trusts it instead of hashing, so a wrong one fails every read of a whole entry
        const entryCrc = crc === undefined ? undefined : crcOfEntry(id, object)
        if (crc !== undefined && entryCrc !== crc) problems.push(crcMismatch(pack, id, offset, crc, entryCrc!))
        onObject?.(id, object.type, object.bytes.length)
      } catch (err) {
        problems.push(problemOf(id, err))
      }
    }
  }
  for await (const id of store.loose.list()) {
    try {
      const object = await store.loose.read(id)
      if (object !== undefined) onObject?.(id, object.type, object.body.length)
    } catch (err) {
      problems.push(problemOf(id, err))
    }
  }
  for (const [id, files] of await store.quarantinedObjects()) {
    if (await store.has(id)) continue // replaced; its set-aside bytes go at the replacer's next flush
    problems.push({ id, code: 'E_CORRUPT_OBJECT', message: `object ${id} was damaged and is set aside in ${files.join(', ')}; no good copy is stored yet: fetch it again from a peer (\`gas fsck --repair\`)` })
  }
  return problems
}
