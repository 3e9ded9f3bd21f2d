import { createHash } from 'node:crypto'
import { join } from 'node:path'
import { writeFileAtomic } from '../objects/atomic-write.js'
import type { FileSystem } from '../objects/fs.js'
import type { ObjectId } from '../objects/id.js'
import type { ReadIndex } from './read-index.js'

/**
 * Read indexes kept on disk (.gas/cache/read-index/), so one is built once per (policy version,
 * roles, refs) and not again by every `gas serve` that starts: building it reads every asset and
 * file manifest the refs reach (a third of a second for 1 GiB of 1 MiB files), while loading it is
 * a file read. The key names everything the index depends on; objects never change under an id,
 * so an index stays true for its key forever. A file that does not parse is ignored (built again).
 *
 * Layout: "gas-read-index 1\n", one JSON line {chunks, metadata, hidden, allowed, denied} (counts),
 * then the ids of each set in that order, 32 raw bytes each.
 */
export interface ReadIndexCache {
  load: (key: string) => Promise<ReadIndex | undefined>
  save: (key: string, index: ReadIndex) => Promise<void>
}

const MAGIC = 'gas-read-index 1\n'
const ID_BYTES = 32
/** why: one file per policy version × role set × refs state; the newest few cover the roles a team serves, older ones are dead */
export const READ_INDEX_FILES_KEPT = 16

/** The cache key: policy fingerprint, the reader's sorted roles, and the refs the index was built from. */
export function readIndexKey (policyFingerprint: string, roles: readonly string[], refsKey: string): string {
  return createHash('sha256').update(`${policyFingerprint}\0${[...roles].sort().join(',')}\0${refsKey}`).digest('hex')
}

export function encodeReadIndex (index: ReadIndex): Uint8Array {
  const sets = [index.chunks, index.metadata, index.hidden]
  const header = Buffer.from(MAGIC + JSON.stringify({ chunks: index.chunks.size, metadata: index.metadata.size, hidden: index.hidden.size, allowed: index.assets.allowed, denied: index.assets.denied }) + '\n')
  const out = Buffer.allocUnsafe(header.length + ID_BYTES * sets.reduce((n, s) => n + s.size, 0))
  header.copy(out)
  let at = header.length
  for (const set of sets) {
    for (const id of set) at += out.write(id, at, ID_BYTES, 'hex')
  }
  return out
}

/** undefined for anything that is not a whole index file */
export function decodeReadIndex (bytes: Uint8Array): ReadIndex | undefined {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (buf.subarray(0, MAGIC.length).toString('latin1') !== MAGIC) return undefined
  const end = buf.indexOf(10, MAGIC.length)
  if (end < 0) return undefined
  let counts: Record<string, unknown>
  try {
    counts = JSON.parse(buf.subarray(MAGIC.length, end).toString('utf8')) as Record<string, unknown>
  } catch {
    return undefined
  }
  const sizes = [counts.chunks, counts.metadata, counts.hidden]
  if (!sizes.every((n) => Number.isSafeInteger(n) && (n as number) >= 0) || !Number.isSafeInteger(counts.allowed) || !Number.isSafeInteger(counts.denied)) return undefined
  let at = end + 1
  if (buf.length - at !== ID_BYTES * (sizes as number[]).reduce((a, b) => a + b, 0)) return undefined
  const sets = (sizes as number[]).map((n) => {
    const set = new Set<ObjectId>()
    for (let i = 0; i < n; i++, at += ID_BYTES) set.add(buf.toString('hex', at, at + ID_BYTES))
    return set
  })
  return { chunks: sets[0], metadata: sets[1], hidden: sets[2], assets: { allowed: counts.allowed as number, denied: counts.denied as number } }
}

/** The cache in `dir` (a workspace's .gas/cache/read-index). Failures to read or write only cost a rebuild. */
export function readIndexCacheIn (fs: FileSystem, dir: string): ReadIndexCache {
  return {
    load: async (key) => {
      try {
        return decodeReadIndex(await fs.readFile(join(dir, key)))
      } catch {
        return undefined
      }
    },
    save: async (key, index) => {
      try {
        await fs.mkdir(dir, { recursive: true })
        await writeFileAtomic(fs, join(dir, key), encodeReadIndex(index))
        await prune(fs, dir)
      } catch {
        // a full disk or a read-only store: the index is rebuilt next time
      }
    }
  }
}

async function prune (fs: FileSystem, dir: string): Promise<void> {
  const names = (await fs.readdir(dir)).filter((name) => /^[0-9a-f]{64}$/.test(name))
  if (names.length <= READ_INDEX_FILES_KEPT) return
  const dated = await Promise.all(names.map(async (name) => ({ name, mtime: (await fs.stat(join(dir, name)).catch(() => undefined))?.mtimeMs ?? 0 })))
  dated.sort((a, b) => b.mtime - a.mtime)
  for (const { name } of dated.slice(READ_INDEX_FILES_KEPT)) await fs.rm(join(dir, name), { force: true })
}
