import { GasError, fromFsError } from '../errors.js'
import { checkTag, encodeAsset, type Asset } from '../objects/asset.js'
import type { ObjectId } from '../objects/id.js'
import { SNIFF_BYTES, detectKind, extensionOf } from './asset-kind.js'
import { ingestBytes, ingestFile, type IngestResult } from './ingest.js'
import { ReadBuffer, WHOLE_READ_MAX } from './whole-read.js'
import { readAhead } from './read-ahead.js'
import { workingFileState } from './local-changes.js'
import { readIndex, writeIndex, type IndexEntry } from './staging-index.js'
import { EntrySpool, mergeIntoIndex } from './entry-spool.js'
import { IndexCursor } from './index-cursor.js'
import { walkForAdd } from './add-walk.js'
import { streamIndex } from './index-stream.js'
import type { StatStamp } from './stat-stamp.js'
import type { Workspace } from './workspace.js'
import { traceMark } from '../trace.js'
import { collectGarbageNow } from '../objects/native-garbage.js'

/**
 * One path's result. `unchanged`: the index already held these bytes and tags (a file only touched
 * counts too); `modified`: a tracked path whose bytes or tags changed; neither: newly tracked.
 */
export interface AddedAsset { path: string, asset: ObjectId, size: number, kind: string, format: string, newChunks: number, unchanged: boolean, modified?: boolean, removed?: boolean }

/** why: files whose manifests and previews wait for one flush; bounds what a 200 000-file add holds */
const SETTLE_EVERY = 2048

/**
 * Objects after which the add closes its pack and starts another. why: the open pack keeps a
 * table of its entries (ids, offsets, checksums and a hash table, grown by doubling: ~60-110 bytes
 * an object) and writes its whole index again at each checkpoint; a closed pack keeps only its
 * index (40 bytes an object). A 200 000-asset add writes ~600 000 objects: ~50 MiB less at its end.
 */
const ROLL_PACK_OBJECTS = 131_072

async function sniff (ws: Workspace, abs: string): Promise<Buffer> {
  const handle = await ws.fs.open(abs, 'r')
  try {
    const head = Buffer.alloc(SNIFF_BYTES)
    const { bytesRead } = await handle.read(head, 0, SNIFF_BYTES, 0)
    return head.subarray(0, bytesRead)
  } finally {
    await handle.close()
  }
}

/** What `gas add` takes: the paths to stage, tags for each asset, and where relative paths start. */
export interface AddOptions { paths: string[], tags?: Record<string, string>, cwd?: string, force?: boolean, onProgress?: (path: string, bytes: number, size: number) => void }

/**
 * Stages files and folders: their content goes into the store, their asset records into the index.
 * Chunks are made durable before any manifest or index entry names them, so a crash at any point
 * leaves either the old index or the new one, each fully readable.
 */
export async function addPaths (ws: Workspace, opts: AddOptions): Promise<AddedAsset[]> {
  const results: AddedAsset[] = []
  await stagePaths(ws, { ...opts, onResult: (r) => { results.push(r) } })
  return results
}

/**
 * addPaths without holding the results: each goes to `onResult` once its asset is stored (removals
 * first, then the files in path order, as addPaths returns them), before the index names any of
 * them; the index is written at the end. why: a 200 000-asset add holds no per-asset state but
 * the paths it walked (the new index entries wait in an EntrySpool on disk).
 */
/** why: below this many files a walk leaves a few MiB of garbage at most, which the usual collections take */
const COLLECT_AFTER_WALKING = 10_000

export async function stagePaths (ws: Workspace, opts: AddOptions & { onResult: (result: AddedAsset) => void | Promise<void> }): Promise<void> {
  if (opts.paths.length === 0) throw GasError.badArgument('nothing to add: name files or folders')
  for (const [k, v] of Object.entries(opts.tags ?? {})) checkTag(k, v)
  // why not always: a preview worker loads its decoders (~0.4 CPU s, ~100 MiB) on a core that
  // chunking and hashing would use. Started now when a named path may hold previewable files (a
  // folder, usually without an extension), so loading overlaps the walk; else once the walk found
  // one. A file its name does not reveal (a PNG named `x.bin`) still gets its preview, from a
  // worker started when its bytes are sniffed.
  if (mayHavePreviews(ws, opts.paths, true)) ws.previewer?.warm?.()
  traceMark('add: start')
  const { paths, removed } = await walkForAdd(ws, opts)
  if (mayHavePreviews(ws, paths, false)) ws.previewer?.warm?.()
  traceMark('add: walked')
  // why now: the walk's garbage (folder listings, the ignore rules' cache, the case-folding map) is
  // ~50 MiB at 200 000 files; a small add's is not worth a full collection on its start path
  if (paths.length >= COLLECT_AFTER_WALKING) collectGarbageNow()
  for (const result of removed) await opts.onResult(result)
  const spool = await EntrySpool.create(ws.fs, ws.gasDir)
  const cursor = new IndexCursor((await streamIndex(ws.fs, ws.gasDir)).entries)
  try {
    await ingestAll(ws, opts, paths, cursor, spool)
    traceMark('add: flushed')
    // the content is in the store; the index changes under the workspace lock, applied to the index
    // as it is now (another `gas add` may have staged other files meanwhile: both stay staged)
    await ws.withLock(async () => { await mergeIntoIndex(ws.fs, ws.gasDir, spool.lines(), new Set(removed.map((r) => r.path))) })
  } finally {
    await cursor.close().catch(() => {})
    await spool.discard()
  }
  traceMark('add: index written')
}

type Ingested = IngestResult & { manifest: Uint8Array }
interface Pending { path: string, asset: Asset, mtimeMs: number, stat: StatStamp, abs: string, result: AddedAsset, previous?: Asset }

/** Chunks and stores each file (in path order), spooling its index entry and reporting its result once its asset is stored. */
async function ingestAll (ws: Workspace, opts: AddOptions & { onResult: (result: AddedAsset) => void | Promise<void> }, paths: string[], cursor: IndexCursor, spool: EntrySpool): Promise<void> {
  let manifests: Array<{ id: ObjectId, bytes: Uint8Array }> = []
  let assets: Pending[] = []
  /** results since the last settle, in order: an unchanged file's waits for the new assets before it */
  let results: AddedAsset[] = []
  /** objects appended to the open pack (about: a manifest or asset already stored counts too) */
  let packed = 0
  // the chunks of a batch are made durable before its manifests and assets are written
  const settle = async (): Promise<void> => {
    if (assets.length > 0) {
      await ws.store.flush()
      for (const m of manifests) await ws.store.putPacked('file', m.bytes, m.id)
      for (const a of assets) {
        if (ws.previewer !== undefined) a.asset.previews = await ws.previewer(a.abs, a.asset, ws.store, a.previous).catch(() => [])
        const id = await ws.store.putPacked('asset', encodeAsset(a.asset))
        await spool.append(a.path, { asset: id, meta: a.asset, mtimeMs: a.mtimeMs, stat: a.stat })
        a.result.asset = id
      }
    }
    packed += manifests.length + assets.length
    if (packed >= ROLL_PACK_OBJECTS) {
      await ws.store.close()
      packed = 0
    }
    for (const r of results) await opts.onResult(r)
    manifests = []
    assets = []
    results = []
  }
  const readBuffer = new ReadBuffer()
  const tagsOf = (previous: IndexEntry | undefined): Record<string, string> => ({ ...(previous?.meta.tags ?? {}), ...(opts.tags ?? {}) })
  const unchanged = (path: string, st: { size: number, mtimeMs: number }, previous: IndexEntry | undefined): boolean =>
    previous !== undefined && previous.mtimeMs === st.mtimeMs && previous.meta.size === st.size && sameTags(previous.meta.tags, tagsOf(previous))
  for await (const { path, abs, st, content, previous } of readAhead(ws, paths, async (path) => await cursor.at(path), unchanged)) {
    if (assets.length >= SETTLE_EVERY || results.length >= SETTLE_EVERY * 4) await settle()
    const tags = tagsOf(previous)
    if (previous !== undefined && content === 'unchanged') {
      results.push({ path, asset: previous.asset, size: previous.meta.size, kind: previous.meta.kind, format: previous.meta.format, newChunks: 0, unchanged: true })
      continue
    }
    const ingest = async (bytes: Buffer | undefined): Promise<ReturnType<typeof detectKind> & { ingested: Ingested }> => {
      const { kind, format } = detectKind(path, bytes !== undefined ? bytes.subarray(0, SNIFF_BYTES) : await sniff(ws, abs).catch((err) => { throw fromFsError(err, path) }))
      ws.previewer?.prepare?.(abs, kind, format, st.size)
      const onBytes = opts.onProgress === undefined ? undefined : (done: number, size: number) => opts.onProgress?.(path, done, size)
      return { kind, format, ingested: bytes !== undefined ? await ingestBytes(ws.store, path, bytes, format, onBytes) : await ingestFile(ws.fs, ws.store, abs, format, onBytes) }
    }
    const { kind, format, ingested } = content instanceof Buffer
      ? await ingest(content)
      : st.size <= WHOLE_READ_MAX ? await readBuffer.withContent(ws.fs, abs, path, st.size, ingest) : await ingest(undefined)
    traceMark(`add: ingested ${path}`)
    packed += ingested.newChunks
    manifests.push({ id: ingested.fileId, bytes: ingested.manifest })
    const asset: Asset = { file: ingested.fileId, size: ingested.size, sha256: ingested.sha256, kind, format, tags, previews: [] }
    const same = previous !== undefined && previous.meta.file === ingested.fileId && sameTags(previous.meta.tags, tags)
    const result: AddedAsset = { path, asset: '', size: ingested.size, kind, format, newChunks: ingested.newChunks, unchanged: same }
    if (previous !== undefined && !same) result.modified = true
    assets.push({ path, asset, mtimeMs: st.mtimeMs, stat: st.stamp, abs, result, previous: previous?.meta })
    results.push(result)
  }
  await settle()
  traceMark('add: settled')
  await ws.store.flush()
}

/**
 * Whether any path has a kind by its name alone that a preview worker makes (kind `other` has no
 * preview; code and text are made in this thread), or no extension when `folders` may be among them.
 */
function mayHavePreviews (ws: Workspace, paths: Iterable<string>, folders: boolean): boolean {
  const inThread = ws.previewer?.inThreadKinds
  for (const path of paths) {
    if (folders && extensionOf(path) === '') return true
    const { kind } = detectKind(path, NO_BYTES)
    if (kind !== 'other' && inThread?.has(kind) !== true) return true
  }
  return false
}
const NO_BYTES = Buffer.alloc(0)

function sameTags (a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a)
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k])
}

/**
 * Stops tracking assets, as `git rm` does: the files go from the disk too (so a peer's checkout,
 * which deletes them, and this workspace agree), unless `cached` keeps them. A file with edits the
 * index does not hold is refused without `force`, since removing it would lose that work.
 */
export async function removePaths (ws: Workspace, opts: { paths: string[], cwd?: string, cached?: boolean, force?: boolean }): Promise<string[]> {
  return await ws.withLock(async () => await removeLocked(ws, opts))
}

async function removeLocked (ws: Workspace, opts: { paths: string[], cwd?: string, cached?: boolean, force?: boolean }): Promise<string[]> {
  const index = await readIndex(ws.fs, ws.gasDir)
  const removed: string[] = []
  for (const p of opts.paths) {
    const rel = ws.relativePath(p, opts.cwd)
    const matches = Object.keys(index.entries).filter((path) => path === rel || rel === '' || path.startsWith(`${rel}/`))
    if (matches.length === 0) throw GasError.notFound(`tracked asset ${rel}`, { path: rel })
    for (const m of matches) if (!removed.includes(m)) removed.push(m)
  }
  if (opts.cached !== true && opts.force !== true) {
    for (const path of removed) {
      if (await workingFileState(ws, path, index.entries[path]) === 'edited') {
        throw new GasError('E_LOCAL_CHANGES', `${path} has changes that are not staged: \`gas add\` them first, keep the file with --cached, or lose them with --force`, { path })
      }
    }
  }
  for (const path of removed) delete index.entries[path]
  // the index first: a failure between the two leaves a file untracked, never a tracked one missing
  await writeIndex(ws.fs, ws.gasDir, index)
  if (opts.cached !== true) {
    for (const path of removed) await ws.fs.rm(ws.absolutePath(path), { force: true }).catch((err) => { throw fromFsError(err, path) })
  }
  return removed
}
