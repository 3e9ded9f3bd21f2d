import { decodeFileManifest } from '../objects/file-manifest.js'
import type { ObjectId } from '../objects/id.js'
import type { Workspace } from '../repo/workspace.js'
import { resolveBuild } from './resolve-build.js'

export interface BuildDiff {
  from: { name: string, version: string, build: ObjectId }
  to: { name: string, version: string, build: ObjectId }
  added: Array<{ path: string, size: number }>
  removed: Array<{ path: string, size: number }>
  changed: Array<{ path: string, fromSize: number, size: number }>
  unchanged: number
  /**
   * bytes a fetch of B costs for someone holding A: B's chunks that A lacks. Exact when B's
   * manifests are here; a file whose manifest is not counts its whole size (`estimated` true).
   */
  fetchBytes: number
  estimated: boolean
}

/** `gas build diff A B`: which files changed between two builds, and what fetching B costs given A. */
export async function diffBuilds (ws: Workspace, opts: { from: string, to: string }): Promise<BuildDiff> {
  const a = await resolveBuild(ws, opts.from)
  const b = await resolveBuild(ws, opts.to)
  const before = new Map(a.build.files.map((f) => [f.path, f]))
  const diff: BuildDiff = {
    from: { name: a.build.name, version: a.build.version, build: a.id },
    to: { name: b.build.name, version: b.build.version, build: b.id },
    added: [], removed: [], changed: [], unchanged: 0, fetchBytes: 0, estimated: false
  }
  for (const file of b.build.files) {
    const old = before.get(file.path)
    before.delete(file.path)
    if (old === undefined) diff.added.push({ path: file.path, size: file.size })
    else if (old.sha256 !== file.sha256 || old.mode !== file.mode) diff.changed.push({ path: file.path, fromSize: old.size, size: file.size })
    else diff.unchanged++
  }
  for (const old of before.values()) diff.removed.push({ path: old.path, size: old.size })

  const held = new Set<ObjectId>()
  const chunksOf = async (file: ObjectId): Promise<Array<{ id: ObjectId, length: number }> | undefined> =>
    await ws.store.has(file) ? decodeFileManifest((await ws.store.get(file)).body).chunks : undefined
  for (const file of new Set(a.build.files.map((f) => f.file))) {
    const chunks = await chunksOf(file)
    if (chunks === undefined) diff.estimated = true
    for (const c of chunks ?? []) held.add(c.id)
  }
  const counted = new Set<ObjectId>()
  for (const file of b.build.files) {
    if (counted.has(file.file)) continue
    counted.add(file.file)
    const chunks = await chunksOf(file.file)
    if (chunks === undefined) {
      diff.estimated = true
      diff.fetchBytes += file.size
      continue
    }
    for (const c of chunks) {
      if (held.has(c.id)) continue
      held.add(c.id)
      diff.fetchBytes += c.length
    }
  }
  return diff
}
