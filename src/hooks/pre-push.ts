import * as fs from 'node:fs'
import { join } from 'node:path'
import git from 'isomorphic-git'
import { GasError } from '../errors.js'
import type { Workspace } from '../repo/workspace.js'
import { runGit } from './git-command.js'
import { isLfsOid, localLfsManifest, storeLfsObject } from './lfs-store.js'

/**
 * `gas hook pre-push`: git runs it with the remote's name and URL and one line per pushed ref on
 * stdin (`<local ref> <local sha1> <remote ref> <remote sha1>`). It walks the commits being pushed
 * (isomorphic-git), looks at every blob they add, and
 *   - refuses a blob over the size limit that is not a Git LFS pointer, naming file and commit;
 *   - refuses a path locked by another member (`lockedBy`, from refs/locks: see pushed-locks.ts);
 *   - otherwise stores the content of every LFS pointer pushed in the gas workspace and records
 *     refs/lfs/<oid>, so the pointers git is about to push are fetchable from this peer.
 */

/** default limit for a file not tracked by LFS: 10 MB (10 000 000 bytes), `git config gas.maxFileSize` or --max-size */
export const DEFAULT_MAX_FILE_SIZE = 10_000_000
/** why: a Git LFS pointer is ~130 bytes; the spec caps it at 1024, so larger blobs are never read to check */
const MAX_POINTER_BYTES = 1024
const ZERO_SHA = /^0+$/

export interface PushedRef { localRef: string, localSha: string, remoteRef: string, remoteSha: string }

export interface PrePushViolation { path: string, commit: string, size?: number, why: 'too-large' | 'locked' | 'lfs-content-missing', holder?: string }

export interface PrePushOptions {
  ws: Workspace
  /** the repository's .git folder */
  gitDir: string
  remoteName: string
  /** stdin of the hook */
  refs: PushedRef[]
  maxFileSize?: number
  /**
   * The member holding a lock on `path` (and until when), when it is someone else; runPrePushHook
   * reads it from the workspace's locks (pushed-locks.ts). The default says nobody holds any.
   */
  lockedBy?: (path: string) => Promise<string | undefined>
}

export interface PrePushResult {
  commits: number
  blobsChecked: number
  /** LFS objects stored in gas by this hook (already stored ones are not counted) */
  lfsStored: Array<{ oid: string, path: string, size: number }>
  violations: PrePushViolation[]
}

export function parsePushedRefs (stdin: string): PushedRef[] {
  return stdin.split('\n').filter((line) => line.trim() !== '').map((line) => {
    const [localRef, localSha, remoteRef, remoteSha] = line.trim().split(/\s+/)
    if (remoteSha === undefined || !/^[0-9a-f]{40,64}$/.test(localSha) || !/^[0-9a-f]{40,64}$/.test(remoteSha)) {
      throw GasError.badArgument(`pre-push: unexpected line on stdin: "${line}" (git passes "<local ref> <sha> <remote ref> <sha>")`)
    }
    return { localRef, localSha, remoteRef, remoteSha }
  })
}

export function parseSize (text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmg]i?b?|b)?$/i.exec(text.trim())
  if (m === null) throw GasError.badArgument(`"${text}" is not a size (e.g. 10m, 500k, 1g, 20000000)`)
  const unit = (m[2] ?? '').toLowerCase()
  const base = unit.includes('i') ? 1024 : 1000
  const power = unit.startsWith('k') ? 1 : unit.startsWith('m') ? 2 : unit.startsWith('g') ? 3 : 0
  return Math.round(Number(m[1]) * base ** power)
}

export async function prePush (opts: PrePushOptions): Promise<PrePushResult> {
  const { gitDir } = opts
  const maxFileSize = opts.maxFileSize ?? DEFAULT_MAX_FILE_SIZE
  const lockedBy = opts.lockedBy ?? (async () => undefined)
  const cache = {}
  const commits = await commitsToPush(opts, cache)
  // blobs each pushed commit adds, against its first parent
  const added = new Map<string, { path: string, commit: string }>()
  for (const commit of commits) {
    const { commit: c } = await git.readCommit({ fs, gitdir: gitDir, oid: commit, cache })
    const parentTree = c.parent.length > 0 ? (await git.readCommit({ fs, gitdir: gitDir, oid: c.parent[0], cache })).commit.tree : undefined
    await addedBlobs(gitDir, c.tree, parentTree, '', commit, added, cache)
  }
  const sizes = await blobSizes(gitDir, [...added.keys()])
  const result: PrePushResult = { commits: commits.length, blobsChecked: added.size, lfsStored: [], violations: [] }
  const pointers: Array<{ oid: string, size: number, path: string, commit: string }> = []
  for (const [blob, where] of added) {
    const size = sizes.get(blob) ?? 0
    const holder = await lockedBy(where.path)
    if (holder !== undefined) result.violations.push({ ...where, why: 'locked', holder })
    if (size <= MAX_POINTER_BYTES) {
      const pointer = parseLfsPointer((await git.readBlob({ fs, gitdir: gitDir, oid: blob, cache })).blob)
      if (pointer !== undefined) pointers.push({ ...pointer, ...where })
    } else if (size > maxFileSize) {
      result.violations.push({ ...where, size, why: 'too-large' })
    }
  }
  if (result.violations.length > 0) return result
  const mediaDir = join(gitDir, 'lfs', 'objects')
  for (const pointer of pointers) {
    if ((await localLfsManifest(opts.ws, pointer.oid)) !== undefined) continue
    const file = join(mediaDir, pointer.oid.slice(0, 2), pointer.oid.slice(2, 4), pointer.oid)
    if (!fs.existsSync(file)) {
      result.violations.push({ path: pointer.path, commit: pointer.commit, size: pointer.size, why: 'lfs-content-missing' })
      continue
    }
    const stored = await storeLfsObject(opts.ws, { path: file, expectedOid: pointer.oid })
    result.lfsStored.push({ oid: stored.oid, path: pointer.path, size: stored.size })
  }
  return result
}

/** Commits reachable from the pushed tips and not from what the remote already has. */
async function commitsToPush (opts: PrePushOptions, cache: object): Promise<string[]> {
  const gitdir = opts.gitDir
  const has = async (oid: string): Promise<boolean> => {
    try {
      await git.readCommit({ fs, gitdir, oid, cache })
      return true
    } catch {
      return false
    }
  }
  const known: string[] = []
  for (const ref of opts.refs) if (!ZERO_SHA.test(ref.remoteSha) && await has(ref.remoteSha)) known.push(ref.remoteSha)
  const remoteRefs = (await runGit(['for-each-ref', '--format=%(objectname)', `refs/remotes/${opts.remoteName}/`], { cwd: gitdir, allowFailure: true })).stdout
  for (const sha of remoteRefs.split('\n')) if (sha !== '' && await has(sha)) known.push(sha)
  const excluded = await ancestors(gitdir, known, new Set(), cache)
  const tips = opts.refs.filter((r) => !ZERO_SHA.test(r.localSha)).map((r) => r.localSha)
  return [...await ancestors(gitdir, tips, excluded, cache)]
}

async function ancestors (gitdir: string, tips: string[], stop: Set<string>, cache: object): Promise<Set<string>> {
  const seen = new Set<string>()
  const queue = tips.filter((t) => !stop.has(t))
  for (const t of queue) seen.add(t)
  for (let i = 0; i < queue.length; i++) {
    const { commit } = await git.readCommit({ fs, gitdir, oid: queue[i], cache })
    for (const parent of commit.parent) {
      if (seen.has(parent) || stop.has(parent)) continue
      seen.add(parent)
      queue.push(parent)
    }
  }
  return seen
}

/** Blobs of `tree` not at the same path in `base`, walking only subtrees that changed. */
async function addedBlobs (gitdir: string, tree: string, base: string | undefined, prefix: string, commit: string, out: Map<string, { path: string, commit: string }>, cache: object): Promise<void> {
  if (tree === base) return
  const entries = (await git.readTree({ fs, gitdir, oid: tree, cache })).tree
  const before = new Map(base === undefined ? [] : (await git.readTree({ fs, gitdir, oid: base, cache })).tree.map((e) => [e.path, e]))
  for (const entry of entries) {
    const old = before.get(entry.path)
    if (old?.oid === entry.oid) continue
    const path = `${prefix}${entry.path}`
    if (entry.type === 'tree') await addedBlobs(gitdir, entry.oid, old?.type === 'tree' ? old.oid : undefined, `${path}/`, commit, out, cache)
    else if (entry.type === 'blob' && !out.has(entry.oid)) out.set(entry.oid, { path, commit })
  }
}

/** Sizes without reading contents: one `git cat-file --batch-check` for all blobs. */
async function blobSizes (gitdir: string, blobs: string[]): Promise<Map<string, number>> {
  const sizes = new Map<string, number>()
  if (blobs.length === 0) return sizes
  const run = await runGit(['--git-dir', gitdir, 'cat-file', '--batch-check=%(objectname) %(objectsize)'], { input: `${blobs.join('\n')}\n` })
  for (const line of run.stdout.split('\n')) {
    const [oid, size] = line.split(' ')
    if (oid !== '' && size !== undefined && /^\d+$/.test(size)) sizes.set(oid, Number(size))
  }
  return sizes
}

/** `version https://git-lfs.github.com/spec/v1\noid sha256:<hex>\nsize <n>\n` → its oid and size */
export function parseLfsPointer (bytes: Uint8Array): { oid: string, size: number } | undefined {
  const text = Buffer.from(bytes).toString('utf8')
  if (!text.startsWith('version https://git-lfs.github.com/spec/v1\n')) return undefined
  const oid = /^oid sha256:([0-9a-f]{64})$/m.exec(text)?.[1]
  const size = /^size (\d+)$/m.exec(text)?.[1]
  if (oid === undefined || size === undefined || !isLfsOid(oid)) return undefined
  return { oid, size: Number(size) }
}

/** The refusal as git shows it to the user: one line per file, naming the commit. */
export function describeViolations (violations: PrePushViolation[], maxFileSize: number): string {
  const lines = violations.map((v) => {
    const at = `${v.path} (commit ${v.commit.slice(0, 10)})`
    if (v.why === 'too-large') return `  ${at}: ${v.size} bytes, over the ${maxFileSize}-byte limit for files not tracked by LFS; \`git lfs track\` it (or raise gas.maxFileSize)`
    if (v.why === 'locked') return `  ${at}: locked by ${v.holder ?? 'another member'}`
    return `  ${at}: LFS content is not in .git/lfs/objects; \`git lfs fetch\` it first`
  })
  return `push refused:\n${lines.join('\n')}`
}
