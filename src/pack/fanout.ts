/**
 * git's .idx lookup: `fanout[b]` counts the ids whose first byte is ≤ b, so the search for an id
 * is a binary search within the ids sharing its first byte.
 */
export function buildFanout (sortedIds: Buffer, count: number): Uint32Array {
  const fanout = new Uint32Array(256)
  for (let i = 0; i < count; i++) fanout[sortedIds[i * 32]]++
  for (let b = 1; b < 256; b++) fanout[b] += fanout[b - 1]
  return fanout
}

/** Index of `id` (32 bytes) in the sorted id table, or -1. */
export function findInFanout (fanout: Uint32Array, sortedIds: Buffer, id: Buffer): number {
  let lo = id[0] === 0 ? 0 : fanout[id[0] - 1]
  let hi = fanout[id[0]]
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    const cmp = sortedIds.compare(id, 0, 32, mid * 32, mid * 32 + 32)
    if (cmp === 0) return mid
    if (cmp < 0) lo = mid + 1
    else hi = mid
  }
  return -1
}
