import { createHash } from 'node:crypto'
import { join } from 'node:path'
import { isGasError } from '../errors.js'
import type { FileSystem } from '../objects/fs.js'
import type { ObjectId } from '../objects/id.js'
import { IgnoreRules } from './ignore-rules.js'
import { readMergeState } from './merge-state.js'
import { peerHeadDistances, type PeerHeadDistance } from './peer-heads.js'
import { stagedChanges, type StagedChange } from './staged-changes.js'
import { readIndex, writeIndex, type IndexEntry, type StagingIndex } from './staging-index.js'
import { LeanIndex, indexIdentity, readStatusCache, writeStatusCache } from './status-cache.js'
import { racyWindowMs, stampOf, type FileStat } from './stat-stamp.js'
import { walkWorkspaceParallel } from './parallel-walk.js'
import { statusLocks, type StatusLock } from './status-locks.js'
import { readVersion } from './tree-io.js'
import { syncWalkFs, walkWorkspace, type WalkFs } from './workspace-walk.js'
import { withWorkspaceLock } from './workspace-lock.js'
import type { Workspace } from './workspace.js'
import { runningServe } from './serve-lock.js'

export interface WorkspaceStatus {
  branch: string
  head: ObjectId | null
  /** the index against HEAD: what the next commit records */
  staged: StagedChange[]
  /** tracked files whose content on disk differs from what is staged */
  modified: string[]
  /** tracked files gone from disk (not staged as removed) */
  deleted: string[]
  /** files neither tracked nor ignored */
  untracked: string[]
  /** paths a merge or sync left waiting on `gas resolve` */
  conflicted: string[]
  /** tracked assets whose content is not here: the workspace's rules did not fetch it */
  notFetched: string[]
  locked: StatusLock[]
  peers: PeerHeadDistance[]
  /** this workspace's `gas serve`, while one runs (serve-lock.ts) */
  serve: { pid: number, since: string } | null
  /** files whose content was read (stat data changed or too recent to trust); the rest were judged by stat data alone */
  hashed: number
}

export interface StatusOptions {
  /** the calls the walk makes (default: synchronous node:fs, see workspace-walk.ts) */
  walkFs?: WalkFs
  /** from this many tracked files on, the walk is shared with a worker thread (parallel-walk.ts; default PARALLEL_FROM) */
  parallelFrom?: number
}

/** why: below this, starting the walk worker (~30 ms) costs more than half the walk saves */
export const PARALLEL_FROM = 20_000

/** Plain SHA-256 of a file's content, streamed (assets can be 10 GB); the asset records the same hash. */
async function contentSha256 (fs: FileSystem, abs: string): Promise<string | undefined> {
  let handle
  try {
    handle = await fs.open(abs, 'r')
  } catch {
    return undefined // removed since it was listed
  }
  try {
    const hash = createHash('sha256')
    const buffer = Buffer.allocUnsafe(1 << 20)
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null)
      if (bytesRead === 0) break
      hash.update(buffer.subarray(0, bytesRead))
    }
    return hash.digest('hex')
  } finally {
    await handle.close()
  }
}

/**
 * `gas status`: the index against HEAD (staged), the workspace against the index (modified,
 * deleted, untracked), plus conflicts, unfetched content, locks and the peers' heads. Fast on a
 * large workspace as git's index makes it: a tracked file whose size and stat stamp are unchanged
 * is not read; one whose stamp is racy (taken in the same second as the file's last change) or
 * changed is hashed, and when its content is what is staged, its new stamp is written back (if the
 * workspace lock is free right now; a reader never waits for it), so the next status skips it.
 */
export async function workspaceStatus (ws: Workspace, opts: StatusOptions = {}): Promise<WorkspaceStatus> {
  const walk = await walkTracked(ws, opts)
  await judgeSuspects(ws, walk)
  const { status, fullIndex, cache, identity, lean } = walk
  const head = await ws.head()
  status.head = head ?? null
  const headTree = head === undefined ? undefined : (await readVersion(ws.store, head)).tree
  if (cache === undefined || cache.indexTree !== headTree) {
    const full = await fullIndex()
    const staged = await stagedChanges(ws.store, Object.entries(full.entries).map(([path, e]) => [path, e.asset]), headTree)
    status.staged = staged.changes
    if (cache === undefined) await writeStatusCache(ws.fs, ws.gasDir, identity, staged.indexTree, lean)
  }
  status.conflicted = ((await readMergeState(ws))?.conflicts ?? []).map((c) => c.path)
  status.locked = await statusLocks(ws)
  status.peers = await peerHeadDistances(ws)
  const serve = await runningServe(ws.fs, ws.gasDir)
  status.serve = serve === undefined ? null : { pid: serve.pid, since: serve.since }
  for (const list of [status.modified, status.deleted, status.untracked, status.notFetched]) list.sort()
  return status
}

/**
 * The workspace against the index alone, as `gas status` judges it (suspects read, stamps written
 * back), without HEAD, conflicts, locks or peers: what `gas diff` names as not staged.
 */
export async function unstagedChanges (ws: Workspace): Promise<{ modified: string[], deleted: string[] }> {
  const walk = await walkTracked(ws, {})
  await judgeSuspects(ws, walk)
  return { modified: walk.status.modified.sort(), deleted: walk.status.deleted.sort() }
}

/** Reads each suspect: modified, gone, or unchanged (its new stamp written back). */
async function judgeSuspects (ws: Workspace, { status, suspects, fullIndex }: TrackedWalk): Promise<void> {
  const refreshed: Array<{ path: string, old: IndexEntry, fresh: IndexEntry }> = []
  for (const { path, st } of suspects) {
    const entry = (await fullIndex()).entries[path]
    if (entry === undefined) continue // the cache named a path the index no longer holds: cannot be (same identity), but never a crash
    status.hashed++
    const sha256 = await contentSha256(ws.fs, ws.absolutePath(path))
    if (sha256 === undefined) { status[entry.mtimeMs === -1 ? 'notFetched' : 'deleted'].push(path); continue }
    if (sha256 !== entry.meta.sha256) { status.modified.push(path); continue }
    // content here is what is staged (also for an unfetched entry whose file arrived by other means)
    refreshed.push({ path, old: entry, fresh: { ...entry, mtimeMs: st.mtimeMs, stat: stampOf(st) } })
  }
  if (refreshed.length > 0) await refreshIndex(ws, refreshed)
}

/** The workspace walked against the index: `status` with modified by size, deleted and untracked filled in; the files whose stamp says they may have changed (`suspects`, not read yet). */
interface TrackedWalk {
  status: WorkspaceStatus
  suspects: Array<{ path: string, st: FileStat }>
  fullIndex: () => Promise<StagingIndex>
  cache: Awaited<ReturnType<typeof readStatusCache>>
  identity: ReturnType<typeof indexIdentity>
  lean: LeanIndex
}

async function walkTracked (ws: Workspace, opts: StatusOptions): Promise<TrackedWalk> {
  const walkFs = opts.walkFs ?? syncWalkFs
  // the index file's identity first, then its content: a rewrite in between makes the cache written below stale, never wrong
  const indexStat = walkFs.lstat(join(ws.gasDir, 'index.json'))
  const identity = indexIdentity(indexStat)
  const cache = await readStatusCache(ws.fs, ws.gasDir, identity)
  let index: StagingIndex | undefined
  const fullIndex = async (): Promise<StagingIndex> => (index ??= await readIndex(ws.fs, ws.gasDir))
  const lean = cache?.lean ?? LeanIndex.fromIndex(await fullIndex())
  // entries without a stamp (written by an older gas, or by a command that keeps only mtimeMs) follow git's rule: racy when changed within the racy window of the index file's write
  const indexMtimeMs = indexStat?.mtimeMs ?? 0
  const racyBeforeMs = (mtimeMs: number): number => indexMtimeMs - racyWindowMs(mtimeMs)
  const rules = await IgnoreRules.load(ws.fs, ws.root)
  const seen = new Uint8Array(lean.count)
  const suspects: Array<{ path: string, st: FileStat }> = []
  const status: WorkspaceStatus = { branch: ws.config.branch, head: null, staged: [], modified: [], deleted: [], untracked: [], conflicted: [], notFetched: [], locked: [], peers: [], serve: null, hashed: 0 }
  const judge = (path: string, slot: number, st: FileStat): void => {
    seen[slot] = 1
    const fetched = lean.mtimeMs(slot) !== -1
    if (fetched && st.size !== lean.size(slot)) { status.modified.push(path); return }
    if (fetched && lean.statClean(slot, st, racyBeforeMs)) return
    suspects.push({ path, st })
  }
  const visitor = { tracked: (path: string) => lean.slots.get(path), onTracked: judge, onUntracked: (path: string) => status.untracked.push(path) }
  if (opts.walkFs === undefined && lean.count >= (opts.parallelFrom ?? PARALLEL_FROM)) await walkWorkspaceParallel(ws.root, rules, visitor)
  else walkWorkspace(ws.root, rules, visitor, walkFs)
  for (let slot = 0; slot < lean.count; slot++) {
    if (seen[slot] === 1) continue
    // inside an ignored folder (tracked all the same), or gone
    const path = lean.paths[slot]
    const st = walkFs.lstat(ws.absolutePath(path))
    if (st?.isFile() === true) judge(path, slot, st)
    else if (lean.mtimeMs(slot) === -1) status.notFetched.push(path)
    else status.deleted.push(path)
  }
  return { status, suspects, fullIndex, cache, identity, lean }
}

/**
 * Tracked files `gas commit --all` stages: those whose size or stat stamp changed (not read here:
 * the add reads each once, and one whose content is what is staged changes nothing) and those gone.
 * why not workspaceStatus: it hashes every such file before the add reads it again, and works out
 * staged changes, locks and peers' heads a commit does not need.
 */
export async function trackedChanges (ws: Workspace): Promise<{ changed: string[], gone: string[] }> {
  const { status, suspects } = await walkTracked(ws, {})
  return { changed: [...status.modified, ...suspects.map((s) => s.path)], gone: status.deleted }
}

/** Writes the new stamps of files found unchanged, only where the index still holds what was hashed. */
async function refreshIndex (ws: Workspace, refreshed: Array<{ path: string, old: IndexEntry, fresh: IndexEntry }>): Promise<void> {
  try {
    // waitMs 0: status is a reader; it never waits for (or delays) a command that changes the workspace
    await withWorkspaceLock(ws.fs, ws.gasDir, { command: 'gas status (refreshing the index)', waitMs: 0 }, async () => {
      const current = await readIndex(ws.fs, ws.gasDir)
      let changed = false
      for (const { path, old, fresh } of refreshed) {
        const now = current.entries[path]
        if (now === undefined || now.asset !== old.asset || now.mtimeMs !== old.mtimeMs) continue
        current.entries[path] = fresh
        changed = true
      }
      if (changed) await writeIndex(ws.fs, ws.gasDir, current)
    })
  } catch (err) {
    // another command holds the workspace: its turn; a later status refreshes the stamps
    if (!(isGasError(err) && err.code === 'E_LOCKED')) throw err
  }
}
