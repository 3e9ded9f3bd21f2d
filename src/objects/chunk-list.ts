import type { ChunkRef, FileManifest, LazyFileManifest } from './file-manifest.js'

/** bytes of one chunk entry in a file manifest: id [32] | length u32 BE */
export const CHUNK_ENTRY_BYTES = 36

/** A manifest's chunk entries as stored, count × (id [32] | length u32 BE), as a Buffer over the same bytes. */
export function chunkEntries (manifest: Pick<LazyFileManifest, 'entries'>): Buffer {
  const entries = manifest.entries
  return Buffer.from(entries.buffer, entries.byteOffset, entries.byteLength)
}

/**
 * A file's chunk list read by index. why: a 10 GB file's ~160 000 ChunkRefs (an object and a hex
 * string each) were ~20 MiB of heap held by a file written while its chunks arrive, all through
 * the sync; read from the manifest's own bytes (~5.6 MiB) an id is made only when asked for.
 */
export interface ChunkList {
  readonly count: number
  idAt: (i: number) => string
  lengthAt: (i: number) => number
}

/** A manifest whose chunks are a ChunkList. */
export interface ListedManifest { size: number, sha256: string, chunks: ChunkList }

/** The list kept as the manifest's entries (decodeFileManifestLazily checked them). */
export function listedLazily (manifest: LazyFileManifest): ListedManifest {
  const buf = Buffer.from(manifest.entries.buffer, manifest.entries.byteOffset, manifest.entries.byteLength)
  const chunks: ChunkList = { count: manifest.count, idAt: (i) => buf.toString('hex', i * CHUNK_ENTRY_BYTES, i * CHUNK_ENTRY_BYTES + 32), lengthAt: (i) => buf.readUInt32BE(i * CHUNK_ENTRY_BYTES + 32) }
  return { size: manifest.size, sha256: manifest.sha256, chunks }
}

/** A decoded manifest's chunk array read as a ChunkList. */
export function listedManifest (manifest: FileManifest): ListedManifest {
  const refs = manifest.chunks
  return { size: manifest.size, sha256: manifest.sha256, chunks: { count: refs.length, idAt: (i) => refs[i].id, lengthAt: (i) => refs[i].length } }
}

/** The chunks from `start` on, each ChunkRef made as it is taken. */
export function * chunkRefsFrom (list: ChunkList, start: number): Generator<ChunkRef> {
  for (let i = start; i < list.count; i++) yield { id: list.idAt(i), length: list.lengthAt(i) }
}
