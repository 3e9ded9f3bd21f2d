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

/** What fetchInSlices reads its wants from: a compact list (content-want-list.ts) or an array. */
export interface SliceSource {
  readonly length: number
  idAt: (i: number) => string
  priorityAt: (i: number) => number
  sizeAt: (i: number) => number | undefined
  /** indices highest priority first, stable within one priority */
  byPriority: () => Uint32Array
}

/** An array of wants read as a SliceSource. */
export function arraySource (wants: readonly WantRequest[]): SliceSource {
  return {
    length: wants.length,
    idAt: (i) => wants[i].id,
    priorityAt: (i) => wants[i].priority,
    sizeAt: (i) => wants[i].size,
    // a stable sort: within one priority the walk's order (a file's chunks in file order) stays
    byPriority: () => Uint32Array.from({ length: wants.length }, (_, i) => i).sort((a, b) => wants[b].priority - wants[a].priority || a - b)
  }
}

/**
 * Fetches `wants` in slices of `sliceSize`, highest priority first (the order the swarm would
 * pick them in), and adds up the results. `progress` is updated before each slice. Only the
 * slice being fetched exists as WantRequest objects: what is held for the rest is the source's
 * (a compact list keeps ~41 bytes a want) and one u32 of order per want.
 */
export async function fetchInSlices (fetch: (wants: WantRequest[]) => Promise<FetchResult>, wants: readonly WantRequest[] | SliceSource, progress: SliceProgress, sliceSize = CONTENT_SLICE): Promise<FetchResult> {
  if (Array.isArray(wants) && wants.length <= sliceSize) return await fetch([...wants])
  const source = Array.isArray(wants) ? arraySource(wants) : wants as SliceSource
  const requestAt = (i: number): WantRequest => {
    const size = source.sizeAt(i)
    return size === undefined ? { id: source.idAt(i), priority: source.priorityAt(i) } : { id: source.idAt(i), priority: source.priorityAt(i), size }
  }
  if (source.length <= sliceSize) return await fetch(Array.from({ length: source.length }, (_, i) => requestAt(i)))
  const order = source.byPriority()
  const total: FetchResult = { objects: 0, bytes: 0, missing: [], denied: [], duplicates: 0 }
  progress.totalObjects = order.length
  progress.totalBytes = 0
  for (let i = 0; i < source.length; i++) progress.totalBytes += source.sizeAt(i) ?? 0
  for (let start = 0; start < order.length; start += sliceSize) {
    progress.objects = total.objects
    progress.bytes = total.bytes
    const got = await fetch(Array.from(order.subarray(start, start + sliceSize), requestAt))
    total.objects += got.objects
    total.bytes += got.bytes
    total.duplicates += got.duplicates
    for (const id of got.missing) total.missing.push(id)
    for (const denied of got.denied) total.denied.push(denied)
  }
  return total
}
