import { basename, join } from 'node:path'
import { fromFsError } from '../errors.js'
import { tempPathFor, writeFileAtomic } from '../objects/atomic-write.js'
import type { FileSystem } from '../objects/fs.js'
import type { ObjectId } from '../objects/id.js'
import { ENTRY_HEADER } from './pack-entry.js'

/**
 * objects/quarantine/: the bytes of damaged copies, set aside so a good copy can be stored again,
 * and kept until one is (never losing the only copy, however damaged: a person may still want
 * it). A loose copy is moved here; a copy inside a pack (which is append-only) is copied here and
 * masked: `pack-<name>.mask` beside the pack lists the entry offsets readers must skip.
 */
export const QUARANTINE_DIR = 'quarantine'
/** why: a chunk is at most 256 KiB and zstd may add a little; a damaged header cannot say its length, so this much is kept */
const MAX_ENTRY_BYTES = ENTRY_HEADER + 512 * 1024

export interface QuarantinedCopy {
  /** 'loose', or the pack file that holds the masked entry */
  from: string
  offset?: number
  /** where the damaged bytes now rest */
  savedAs: string
}

export function quarantineDir (objectsDir: string): string {
  return join(objectsDir, QUARANTINE_DIR)
}

export function maskPathOf (packPath: string): string {
  return packPath.replace(/\.pack$/, '.mask')
}

/** Moves a damaged loose object aside (a rename: its bytes are never copied, never lost). */
export async function quarantineLoose (fs: FileSystem, objectsDir: string, id: ObjectId, loosePath: string): Promise<QuarantinedCopy> {
  const dir = quarantineDir(objectsDir)
  const savedAs = tempPathFor(join(dir, `${id}.loose`), 'bad')
  try {
    await fs.mkdir(dir, { recursive: true })
    await fs.rename(loosePath, savedAs)
  } catch (err) {
    throw fromFsError(err, loosePath)
  }
  return { from: 'loose', savedAs }
}

/** Copies the bytes of a damaged pack entry aside, then masks the entry (in that order: a crash between leaves a copy, never a masked entry with no copy). */
export async function quarantinePacked (fs: FileSystem, objectsDir: string, id: ObjectId, packPath: string, offset: number, masked: ReadonlySet<number>): Promise<QuarantinedCopy> {
  const dir = quarantineDir(objectsDir)
  const savedAs = tempPathFor(join(dir, `${id}.${basename(packPath, '.pack')}-${offset}`), 'bad')
  let handle
  try {
    await fs.mkdir(dir, { recursive: true })
    handle = await fs.open(packPath, 'r')
    const bytes = Buffer.alloc(MAX_ENTRY_BYTES)
    const { bytesRead } = await handle.read(bytes, 0, MAX_ENTRY_BYTES, offset)
    await writeFileAtomic(fs, savedAs, bytes.subarray(0, bytesRead))
  } catch (err) {
    throw fromFsError(err, packPath)
  } finally {
    await handle?.close()
  }
  await writeFileAtomic(fs, maskPathOf(packPath), JSON.stringify([...new Set([...masked, offset])].sort((a, b) => a - b)))
  return { from: packPath, offset, savedAs }
}

/** The masked offsets of one pack (none when it has no mask file). */
export async function readMask (fs: FileSystem, packPath: string): Promise<Set<number>> {
  let text: string
  try {
    text = await fs.readFile(maskPathOf(packPath), 'utf8')
  } catch {
    return new Set()
  }
  try {
    const offsets = JSON.parse(text) as unknown
    return new Set(Array.isArray(offsets) ? offsets.filter((o): o is number => Number.isSafeInteger(o)) : [])
  } catch {
    // why: a mask is written whole (temp + rename), so damage here is outside damage; masking nothing lets fsck report the entries again
    return new Set()
  }
}

/** Ids with damaged bytes set aside and no verified replacement stored yet, with their files. */
export async function listQuarantined (fs: FileSystem, objectsDir: string): Promise<Map<ObjectId, string[]>> {
  const out = new Map<ObjectId, string[]>()
  let names: string[]
  try {
    names = await fs.readdir(quarantineDir(objectsDir))
  } catch {
    return out
  }
  for (const name of names.sort()) {
    const id = name.slice(0, 64)
    if (!/^[0-9a-f]{64}\./.test(name) || name.includes('.tmp-')) continue
    out.set(id, [...(out.get(id) ?? []), join(quarantineDir(objectsDir), name)])
  }
  return out
}

/** Drops the set-aside bytes of `id`: called once a verified copy is stored and durable. */
export async function releaseQuarantined (fs: FileSystem, objectsDir: string, id: ObjectId): Promise<void> {
  const files = (await listQuarantined(fs, objectsDir)).get(id) ?? []
  for (const file of files) await fs.rm(file, { force: true }).catch(() => {})
}
