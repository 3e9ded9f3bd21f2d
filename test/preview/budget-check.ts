import { statSync } from 'node:fs'
import { expect } from 'vitest'
import { encodePreview } from '../../src/objects/preview.js'
import { generatePreview } from '../../src/preview/index.js'
import { clipBudgetBytes, IMAGE_BUDGET_BYTES } from '../../src/preview/limits.js'

const KiB = 1024

/** The preview of `path` keeps the project's budget: image ≤ 16 KiB, clip ≤ max(4 KiB, 1% of the asset), the stored object only a small header more. */
export async function expectWithinBudget (path: string, kind: string, format: string): Promise<void> {
  const assetBytes = statSync(path).size
  const res = await generatePreview({ path, kind, format })
  expect(res.image).not.toBeNull()
  const image = res.image!.bytes.length
  const clip = res.clip?.bytes.length ?? 0
  expect(image).toBeLessThanOrEqual(IMAGE_BUDGET_BYTES)
  if (kind === 'audio') expect(res.clip).not.toBeNull()
  expect(clip).toBeLessThanOrEqual(clipBudgetBytes(assetBytes))
  // the stored object adds only its JSON header (info) to image and clip
  const stored = encodePreview({ ...res, info: JSON.parse(JSON.stringify(res.info)) as Record<string, unknown>, error: null }).length
  expect(stored - image - clip).toBeLessThan(2 * KiB)
}
