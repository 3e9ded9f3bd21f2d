import type { FileHandle } from 'node:fs/promises'
import { fromFsError } from '../errors.js'
import { CHUNK_ENTRY_BYTES, chunkEntries } from '../objects/chunk-list.js'
import type { ChunkRef } from '../objects/file-manifest.js'
import { nativeAddon, type NativeRestore } from '../objects/native-addon.js'
import { FileStore } from '../pack/file-store.js'

/** why: ~64 MiB per pool call: a progress report and a check for a failed sibling part that often, at ~16 calls per GiB */
const PART_BYTES = 64 * 1024 * 1024
/** why two: one part's reads and crc32s overlap the other's writes (the writes into one file take turns under its lock anyway; measured per GiB in-process: 0.24–0.28 s with two, 0.25–0.47 s with one) */
const PARTS_IN_FLIGHT = 2
/** why 1 MiB: a span read stays in the CPU's cache (L2) while its crc32 and the write read it again */
const SPAN_BYTES = 1024 * 1024
/** a part whose bytes were mostly stored compressed tells the rest of the file is so too: read once, by the caller, not twice */
const COMPRESSED_SHARE_TO_STOP = 0.5

/** what a chunk's status byte says after the native copy: written, or left to the caller (not in a closed pack, compressed, or did not check out) */
export const WRITTEN = 0
const COMPRESSED_OR_ABSENT = 1

/** The manifest's own 36-byte entries (id | length u32 BE), from a lazily decoded manifest's bytes or built from its chunk list. */
export function manifestEntries (manifest: { count?: number, entries?: Uint8Array, chunks: Iterable<ChunkRef> }): Buffer {
  if (manifest.entries !== undefined) return chunkEntries({ entries: manifest.entries })
  const chunks = [...manifest.chunks]
  const out = Buffer.allocUnsafe(chunks.length * CHUNK_ENTRY_BYTES)
  chunks.forEach((c, i) => {
    out.fill(0, i * CHUNK_ENTRY_BYTES, i * CHUNK_ENTRY_BYTES + 32)
    out.write(c.id, i * CHUNK_ENTRY_BYTES, 32, 'hex')
    out.writeUInt32BE(c.length, i * CHUNK_ENTRY_BYTES + 32)
  })
  return out
}

/**
 * Per chunk [pack fd, entry offset, crc32] in the store's closed packs, or fd -1: not there
 * (loose, only in the pack still being written, or in a version 1 index without crc32s).
 * `locate`: the addon's search of one pack's index for every chunk at once (locateChunks, restore-chunks.c);
 * a pack with entries set aside (quarantine.ts), or without the addon, is searched here.
 */
export function locateInPacks (store: FileStore, entries: Buffer, locate?: NativeRestore['locateChunks']): Float64Array {
  const count = entries.length / CHUNK_ENTRY_BYTES
  const locs = new Float64Array(count * 3).fill(-1)
  let placed = 0
  for (const pack of count === 0 ? [] : store.packFiles()) {
    const { fanout, ids, offsets, crcs } = pack.index.tables()
    if (crcs === undefined) continue
    if (locate !== undefined && pack.masked.size === 0) {
      placed += locate(entries, fanout, ids, offsets, crcs, pack.fd, locs)
    } else {
      for (let i = 0; i < count; i++) {
        if (locs[3 * i] >= 0) continue
        const at = pack.locateId(entries.subarray(i * CHUNK_ENTRY_BYTES, i * CHUNK_ENTRY_BYTES + 32))
        if (at === undefined) continue
        locs[3 * i] = pack.fd
        locs[3 * i + 1] = at.offset
        locs[3 * i + 2] = at.crc!
        placed++
      }
    }
    if (placed === count) break
  }
  return locs
}

/**
 * Writes what it can of a file's chunks into `handle` with the native restoreChunks (restore-chunks.c):
 * large reads of the packs, each chunk's entry checked against its crc32, the chunks written with
 * pwritev, two parts of the file at once. Returns each chunk's status (WRITTEN, or left for the
 * caller to write through the store, which verifies it by its id and names any damage) and the
 * bytes written. A read or write error rejects as a GasError for `out`.
 */
export async function restoreNatively (native: NativeRestore, store: FileStore, manifest: { size: number, count?: number, entries?: Uint8Array, chunks: Iterable<ChunkRef> }, handle: FileHandle, out: string, onProgress?: (bytes: number, total: number) => void, partBytes = PART_BYTES): Promise<{ status: Uint8Array, entries: Buffer, written: number }> {
  const entries = manifestEntries(manifest)
  const count = entries.length / CHUNK_ENTRY_BYTES
  const locs = locateInPacks(store, entries, native.locateChunks)
  try {
    native.allocate?.(handle.fd, manifest.size)
  } catch (err) {
    throw fromFsError(err, out)
  }
  // every chunk not reached is left to the caller
  const status = new Uint8Array(count).fill(COMPRESSED_OR_ABSENT)
  const stop = new Int32Array(1)
  // parts of ~PART_BYTES each, with the output offset of their first chunk
  const parts: Array<{ from: number, to: number, at: number, bytes: number }> = []
  for (let i = 0, at = 0; i < count;) {
    const from = i
    const start = at
    while (i < count && (i === from || at - start < partBytes)) at += entries.readUInt32BE(i++ * CHUNK_ENTRY_BYTES + 32)
    parts.push({ from, to: i, at: start, bytes: at - start })
  }
  let next = 0
  let done = 0
  let written = 0
  let compressed = false
  const worker = async (): Promise<void> => {
    while (next < parts.length && !compressed && stop[0] === 0) {
      const part = parts[next++]
      try {
        // why not `written += await …`: that reads `written` before the other part adds to it
        const bytes = await native.restoreChunks(handle.fd, entries, locs, status, part.from, part.to, part.at, SPAN_BYTES, stop)
        written += bytes
      } catch (err) {
        stop[0] = 1
        throw err
      }
      let left = 0
      for (let i = part.from; i < part.to; i++) if (status[i] !== WRITTEN) left += entries.readUInt32BE(i * CHUNK_ENTRY_BYTES + 32)
      if (left > part.bytes * COMPRESSED_SHARE_TO_STOP) compressed = true
      done += part.bytes - left
      onProgress?.(done, manifest.size)
    }
  }
  const results = await Promise.allSettled(Array.from({ length: Math.min(PARTS_IN_FLIGHT, parts.length) }, worker))
  // a sibling stopped by the failure rejects with ECANCELED: the first real cause is the one to report
  const failures = results.flatMap((r) => r.status === 'rejected' ? [r.reason as { code?: string }] : [])
  if (failures.length > 0) throw fromFsError(failures.find((e) => e?.code !== 'ECANCELED') ?? failures[0], out)
  return { status, entries, written }
}

/**
 * The chunks of `manifest` not found in the store's closed packs by the addon's search, for the
 * caller to look up one by one (all of them without the addon, or for a store that is not a
 * FileStore). why: `gas restore` asks whether all of a file's content is here before writing it,
 * and 16 000 lookups per GiB through the store cost ~40 ms.
 */
export function * chunksOutsidePacks (store: unknown, manifest: { entries: Uint8Array, chunks: Iterable<ChunkRef> }): Generator<ChunkRef> {
  const locate = nativeAddon()?.locateChunks
  if (locate === undefined || !(store instanceof FileStore)) return yield * manifest.chunks
  const entries = manifestEntries(manifest)
  const locs = locateInPacks(store, entries, locate)
  for (let i = 0; i < locs.length / 3; i++) {
    if (locs[3 * i] < 0) yield { id: entries.toString('hex', i * CHUNK_ENTRY_BYTES, i * CHUNK_ENTRY_BYTES + 32), length: entries.readUInt32BE(i * CHUNK_ENTRY_BYTES + 32) }
  }
}
