import type { FetchResult, WantRequest } from '../swarm/swarm-options.js'

/**
 * why: the swarm keeps state for every object of a fetch (an item with its holders, requests in
 * flight and who was asked, and each peer's candidates): ~330 bytes a chunk measured (a 2 GB sync:
 * 45 → 35 MiB of heap sliced), ~50 MiB for a 10 GB file's ~150 000 chunks. Fetched a slice at a
 * time, that state is bounded by the slice; 16 384 chunks (~1 GiB of content) keep the window
 * full, and the pause between slices is one round trip.
 */
export const CONTENT_SLICE = 16_384

/** Where the slices stand, for progress: what earlier slices brought, and the whole fetch's size. */
export interface SliceProgress { objects: number, bytes: number, totalObjects: number, totalBytes: number }

/**
 * Fetches `wants` in slices of `sliceSize`, highest priority first (the order the swarm would
 * pick them in), and adds up the results. `progress` is updated before each slice.
 */
export async function fetchInSlices (fetch: (wants: WantRequest[]) => Promise<FetchResult>, wants: readonly WantRequest[], progress: SliceProgress, sliceSize = CONTENT_SLICE): Promise<FetchResult> {
  if (wants.length <= sliceSize) return await fetch([...wants])
  // a stable sort: within one priority the walk's order (a file's chunks in file order) stays
  const ordered = [...wants].sort((a, b) => b.priority - a.priority)
  const total: FetchResult = { objects: 0, bytes: 0, missing: [], denied: [], duplicates: 0 }
  progress.totalObjects = ordered.length
  progress.totalBytes = ordered.reduce((sum, w) => sum + (w.size ?? 0), 0)
  for (let start = 0; start < ordered.length; start += sliceSize) {
    progress.objects = total.objects
    progress.bytes = total.bytes
    const got = await fetch(ordered.slice(start, start + sliceSize))
    total.objects += got.objects
    total.bytes += got.bytes
    total.duplicates += got.duplicates
    for (const id of got.missing) total.missing.push(id)
    for (const denied of got.denied) total.denied.push(denied)
  }
  return total
}
