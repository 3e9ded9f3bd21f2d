/** WANT priorities (0..255, higher first). why: metadata must never queue behind content at the serving peer */
export const PRIORITY_METADATA = 250
/** why: previews are small and what a user looks at first, but a tree without them is still usable */
export const PRIORITY_PREVIEW = 240
/** why: content ranks below every metadata priority; within it, small assets first (see contentPriority) */
export const PRIORITY_CONTENT_MAX = 200

/** Smaller assets get higher priorities: 1 KiB ≈ 150, 1 MiB ≈ 100, 1 GiB ≈ 50. */
export function contentPriority (assetSize: number): number {
  const bits = Math.ceil(Math.log2(Math.max(1, assetSize) + 1))
  return Math.max(1, Math.min(PRIORITY_CONTENT_MAX, PRIORITY_CONTENT_MAX - 5 * bits))
}
