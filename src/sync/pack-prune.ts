import type { ObjectId } from '../objects/id.js'
import type { FileStore } from '../pack/file-store.js'
import { PackWriter } from '../pack/pack-writer.js'

/**
 * Rewrites every pack holding one of `drop` without those entries, as `git repack` does: the
 * new pack is complete and its index renamed into place before the old pack is removed, so a
 * crash at any point leaves every kept object readable (at worst twice, in both packs).
 * The store object keeps the old packs open until it is reopened; callers reopen it (the CLI
 * closes the workspace after `gas gc`).
 */
export async function rewritePacksWithout (store: FileStore, drop: Set<ObjectId>): Promise<{ packsRewritten: number }> {
  // the pack this process is appending to becomes an ordinary pack first
  await store.close()
  await store.refreshPacks()
  let packsRewritten = 0
  for (const pack of store.packFiles()) {
    const entries = [...pack.index.entries()]
    if (!entries.some((e) => drop.has(e.id))) continue
    const kept = entries.filter((e) => !drop.has(e.id)).sort((a, b) => a.offset - b.offset)
    if (kept.length > 0) {
      const writer = await PackWriter.create(store.fs, store.packDir)
      try {
        for (const entry of kept) await writer.append(entry.id, await pack.readChecked(entry.id, entry.offset))
      } finally {
        await writer.close()
      }
    }
    const indexPath = pack.packPath.replace(/\.pack$/, '.idx')
    // index first: a pack without an index is recovered by scanning; an index without its pack is an error
    await store.fs.rm(indexPath, { force: true })
    await store.fs.rm(pack.packPath, { force: true })
    packsRewritten++
  }
  await store.refreshPacks()
  return { packsRewritten }
}
