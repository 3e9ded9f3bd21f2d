import type { FetchResult, WantRequest } from '../swarm/swarm-options.js'

/**
 * why: the swarm keeps state for every object of a fetch in play (an item with its holders,
 * requests in flight and who was asked, and each peer's candidates): ~330 bytes a chunk measured,
 * ~50 MiB for a 10 GB file's ~150 000 chunks at once. Fed a slice at a time as the fetch runs low
 * (FetchOptions.more), that state is bounded by a few slices, with no pause between them.
 */
export const CONTENT_SLICE = 4096
/**
 * why: the first wants of a fetch are few, so the first request leaves after ~1 ms of bookkeeping:
 * 16 384 items made at once (a 1 GiB file) held the first request back ~100 ms (profiled: their
 * objects and a garbage collection they set off); the rest follow while the first blocks arrive
 */
export const FIRST_SLICE = 256

/** The whole fetch's size, for progress (the swarm counts what it stored, and knows only the wants fed so far). */
export interface SliceProgress { totalObjects: number, totalBytes: number }

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
 * Fetches `wants` highest priority first (the order the swarm would pick them in), in one fetch
 * that starts with FIRST_SLICE of them and is fed `sliceSize` more whenever it asks (`more`: the
 * fetch must ask until it gets none). `progress` holds the whole fetch's totals. Only the wants in
 * play exist as WantRequest objects: what is held for the rest is the source's (a compact list
 * keeps ~41 bytes a want) and one u32 of order per want.
 */
export async function fetchInSlices (fetch: (first: WantRequest[], more: () => WantRequest[]) => Promise<FetchResult>, wants: readonly WantRequest[] | SliceSource, progress: SliceProgress, sliceSize = CONTENT_SLICE): Promise<FetchResult> {
  const source = Array.isArray(wants) ? arraySource(wants) : wants as SliceSource
  const requestAt = (i: number): WantRequest => {
    const size = source.sizeAt(i)
    return size === undefined ? { id: source.idAt(i), priority: source.priorityAt(i) } : { id: source.idAt(i), priority: source.priorityAt(i), size }
  }
  const order = source.length <= Math.min(FIRST_SLICE, sliceSize) ? undefined : source.byPriority()
  progress.totalObjects = source.length
  progress.totalBytes = 0
  for (let i = 0; i < source.length; i++) progress.totalBytes += source.sizeAt(i) ?? 0
  if (order === undefined) return await fetch(Array.from({ length: source.length }, (_, i) => requestAt(i)), () => [])
  let next = Math.min(FIRST_SLICE, sliceSize, order.length)
  const more = (): WantRequest[] => {
    const start = next
    next = Math.min(order.length, start + sliceSize)
    return Array.from(order.subarray(start, next), requestAt)
  }
  return await fetch(Array.from(order.subarray(0, next), requestAt), more)
}
