import type { FileHandle } from 'node:fs/promises'
import type { ListedManifest } from '../objects/chunk-list.js'
import { hashObject } from '../objects/id.js'

/** why 16: ~1 MiB read back and hashed per file (a few ms) whatever its size, spread over all of it */
export const SAMPLE_CHUNKS = 16

/**
 * Which chunks of a manifest the check reads back: the first, the last, and others spread evenly
 * between (each index once).
 */
export function sampleIndexes (chunkCount: number, count = SAMPLE_CHUNKS): number[] {
  if (chunkCount === 0) return []
  const picked = new Set<number>([0, chunkCount - 1])
  for (let i = 1; i < count - 1 && picked.size < Math.min(count, chunkCount); i++) picked.add(Math.floor(i * chunkCount / (count - 1)))
  return [...picked].sort((a, b) => a - b)
}

/**
 * Checks a file assembled from verified chunks (file-assembler.ts) for assembly faults, cheaply:
 * its size is the manifest's, and a sample of chunks read back from their offsets hash to their
 * ids. why a sample and not every byte: each chunk was verified against its id before it was
 * written, so what can still go wrong is the assembly itself (a chunk at the wrong offset, a batch
 * buffer reused while its write was in flight, a short write), which shows up wherever it happens
 * to land in a systematic bug: the first and last chunks and a spread between catch offset drift,
 * which moves every chunk after it.
 */
export async function checkAssembledSample (handle: FileHandle, manifest: ListedManifest, count = SAMPLE_CHUNKS): Promise<boolean> {
  if ((await handle.stat()).size !== manifest.size) return false
  const picked = sampleIndexes(manifest.chunks.count, count)
  // the offset of each picked chunk (why not one per chunk: ~150 000 numbers for a 10 GB file)
  const offsets = new Map<number, number>()
  let offset = 0
  for (let i = 0; i < manifest.chunks.count; i++) {
    if (picked.includes(i)) offsets.set(i, offset)
    offset += manifest.chunks.lengthAt(i)
  }
  if (offset !== manifest.size) return false
  // why all at once: a file written with O_DIRECT is read back from the disk, and ~16 reads one
  // after the other were ~10 ms at the end of every sync that wrote one; together they overlap
  const checks = picked.map(async (i) => {
    const chunk = { id: manifest.chunks.idAt(i), length: manifest.chunks.lengthAt(i) }
    const view = Buffer.allocUnsafe(chunk.length)
    const { bytesRead } = await handle.read(view, 0, chunk.length, offsets.get(i))
    return bytesRead === chunk.length && hashObject('chunk', view) === chunk.id
  })
  return (await Promise.all(checks)).every((ok) => ok)
}
