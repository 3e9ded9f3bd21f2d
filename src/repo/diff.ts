import { GasError } from '../errors.js'
import type { Asset } from '../objects/asset.js'
import { decodeFileManifest } from '../objects/file-manifest.js'
import type { ObjectId } from '../objects/id.js'
import { decodePreview } from '../objects/preview.js'
import { resolveRevision } from './rev-parse.js'
import { stagedChanges } from './staged-changes.js'
import { readIndex } from './staging-index.js'
import { LeanIndex, currentStatusCache, writeStatusCache } from './status-cache.js'
import { flattenTree, lookupPath, readAsset, readTyped, readVersion } from './tree-io.js'
import type { Workspace } from './workspace.js'

export interface ValueChange<T> { old: T | null, new: T | null }

/** One asset that differs between two sides. Preview facts are the keys of the previews' info (width, triangles, durationSeconds…) whose value changed. */
export interface AssetDiff {
  path: string
  change: 'added' | 'modified' | 'deleted'
  kind: ValueChange<string>
  format: ValueChange<string>
  size: ValueChange<number>
  tags: Record<string, ValueChange<string>>
  preview: Record<string, ValueChange<unknown>>
  /**
   * chunks of the new content that the old content lacks: what a peer holding the old version
   * transfers to get the new one. Null when a side's file manifest is not here (selective sync).
   */
  chunks: { total: number, new: number, newBytes: number } | null
}

export interface DiffResult { from: { name: string, version: ObjectId | null }, to: { name: string, version: ObjectId | null }, assets: AssetDiff[] }

/** Facts of an asset's previews, merged (an asset has one preview per generator); {} when none is here. */
async function previewFacts (ws: Workspace, asset: Asset | undefined): Promise<Record<string, unknown>> {
  const facts: Record<string, unknown> = {}
  for (const id of asset?.previews ?? []) {
    try {
      Object.assign(facts, decodePreview(await readTyped(ws.store, id, 'preview')).info)
    } catch (err) {
      if (!(err instanceof GasError && err.code === 'E_NOT_FOUND')) throw err
    }
  }
  return facts
}

async function manifestOf (ws: Workspace, asset: Asset): Promise<ReturnType<typeof decodeFileManifest> | undefined> {
  try {
    return decodeFileManifest(await readTyped(ws.store, asset.file, 'file'))
  } catch (err) {
    if (err instanceof GasError && err.code === 'E_NOT_FOUND') return undefined
    throw err
  }
}

async function chunkChange (ws: Workspace, before: Asset | undefined, after: Asset | undefined): Promise<AssetDiff['chunks']> {
  if (after === undefined) return { total: 0, new: 0, newBytes: 0 }
  const next = await manifestOf(ws, after)
  const prev = before === undefined ? { chunks: [] } : await manifestOf(ws, before)
  if (next === undefined || prev === undefined) return null
  const had = new Set(prev.chunks.map((c) => c.id))
  const fresh = new Map<ObjectId, number>()
  for (const c of next.chunks) if (!had.has(c.id)) fresh.set(c.id, c.length)
  let newBytes = 0
  for (const length of fresh.values()) newBytes += length
  return { total: next.chunks.length, new: fresh.size, newBytes }
}

function changed<T> (a: T | undefined, b: T | undefined): ValueChange<T> {
  return { old: a ?? null, new: b ?? null }
}

export async function diffAsset (ws: Workspace, path: string, change: AssetDiff['change'], before: Asset | undefined, after: Asset | undefined): Promise<AssetDiff> {
  const tags: Record<string, ValueChange<string>> = {}
  for (const key of new Set([...Object.keys(before?.tags ?? {}), ...Object.keys(after?.tags ?? {})])) {
    if (before?.tags[key] !== after?.tags[key]) tags[key] = changed(before?.tags[key], after?.tags[key])
  }
  const preview: Record<string, ValueChange<unknown>> = {}
  const [oldFacts, newFacts] = [await previewFacts(ws, before), await previewFacts(ws, after)]
  for (const key of new Set([...Object.keys(oldFacts), ...Object.keys(newFacts)])) {
    if (JSON.stringify(oldFacts[key]) !== JSON.stringify(newFacts[key])) preview[key] = changed(oldFacts[key], newFacts[key])
  }
  return {
    path,
    change,
    kind: changed(before?.kind, after?.kind),
    format: changed(before?.format, after?.format),
    size: changed(before?.size, after?.size),
    tags,
    preview,
    chunks: await chunkChange(ws, before, after)
  }
}

function inScope (path: string, scope: string | undefined): boolean {
  return scope === undefined || scope === '' || path === scope || path.startsWith(`${scope}/`)
}

/**
 * `gas diff [PATH] [--version A..B]`: per asset that differs, its old and new size, kind, tags,
 * preview facts and how many bytes of new chunks the change costs. Sides: `A..B` two versions;
 * `A` that version against the index; none, HEAD against the index (what the next commit records;
 * `gas add` a file to see its change).
 */
export async function diffVersions (ws: Workspace, opts: { path?: string, range?: string, cwd?: string }): Promise<DiffResult> {
  const scope = opts.path === undefined ? undefined : ws.relativePath(opts.path, opts.cwd)
  const [fromRev, toRev] = opts.range === undefined ? ['HEAD', undefined] : opts.range.includes('..') ? opts.range.split('..', 2) : [opts.range, undefined]
  if (fromRev === '' || toRev === '') throw GasError.badArgument(`--version ${opts.range}: expected A..B or A (a version, tag, branch or REV~N)`)
  const fromId = fromRev === 'HEAD' && opts.range === undefined ? (await ws.head()) ?? null : await resolveRevision(ws, fromRev)
  const fromTree = fromId === null ? undefined : (await readVersion(ws.store, fromId)).tree
  let after: Map<string, ObjectId>
  let changes: Array<{ path: string, change: AssetDiff['change'] }>
  let toId: ObjectId | null = null
  let afterPaths: () => Iterable<string> = () => after.keys()
  const { identity, cache } = toRev === undefined ? await currentStatusCache(ws.fs, ws.gasDir) : { identity: '', cache: undefined }
  if (cache !== undefined && cache.indexTree === fromTree) {
    // why: the index's tree is the version's (status's lean cache knows it): nothing staged, and 35 MB of index.json at 100 000 assets stay unread
    after = new Map()
    changes = []
    afterPaths = () => cache.lean.paths
  } else if (toRev === undefined) {
    const index = await readIndex(ws.fs, ws.gasDir)
    after = new Map(Object.entries(index.entries).map(([path, e]) => [path, e.asset]))
    const staged = await stagedChanges(ws.store, after, fromTree)
    changes = staged.changes
    if (cache === undefined) await writeStatusCache(ws.fs, ws.gasDir, identity, staged.indexTree, LeanIndex.fromIndex(index))
  } else {
    toId = await resolveRevision(ws, toRev)
    after = await flattenTree(ws.store, (await readVersion(ws.store, toId)).tree)
    changes = (await stagedChanges(ws.store, after, fromTree)).changes
  }
  const assets: AssetDiff[] = []
  for (const { path, change } of changes) {
    if (!inScope(path, scope)) continue
    // only the changed paths are looked up on the old side: the trees they share are never read
    const a = fromTree === undefined ? undefined : await lookupPath(ws.store, fromTree, path)
    const b = after.get(path)
    assets.push(await diffAsset(ws, path, change, a === undefined ? undefined : await readAsset(ws.store, a), b === undefined ? undefined : await readAsset(ws.store, b)))
  }
  if (scope !== undefined && scope !== '' && assets.length === 0 && ![...afterPaths()].some((p) => inScope(p, scope)) &&
    (fromTree === undefined || (await lookupPath(ws.store, fromTree, scope)) === undefined)) {
    throw GasError.notFound(`asset ${scope} (in neither side of the diff)`, { path: scope })
  }
  return { from: { name: fromRev, version: fromId }, to: { name: toRev ?? 'index', version: toId }, assets }
}
