import { lstatSync, readdirSync, type Stats, type Dirent } from 'node:fs'
import { sep } from 'node:path'
import type { IgnoreRules } from './ignore-rules.js'
import type { FileStat } from './stat-stamp.js'
import { GAS_DIR } from './workspace.js'

/**
 * The two calls a full walk of the workspace makes per folder and per tracked file.
 * why synchronous: a workspace of 100 000 files costs 100 000 lstat calls; through promises each
 * pays a thread-pool round trip (several times the call itself), and `gas status` must stay well
 * under a second there.
 */
export interface WalkFs {
  readdir: (abs: string) => Dirent[]
  /** undefined when the path does not exist (any more) */
  lstat: (abs: string) => Stats | undefined
}

export const syncWalkFs: WalkFs = {
  readdir: (abs) => readdirSync(abs, { withFileTypes: true }),
  lstat: (abs) => lstatSync(abs, { throwIfNoEntry: false })
}

export interface WalkVisitor<T> {
  /** the index entry of a workspace-relative path, undefined when untracked (one lookup per file: 100 000 of them) */
  tracked: (path: string) => T | undefined
  onTracked: (path: string, entry: T, st: FileStat) => void
  /** a file neither tracked nor ignored */
  onUntracked: (path: string) => void
}

/** The absolute path of a workspace-relative one. why concatenation, not path.join: join normalises every one of 100 000 paths, and these are already clean */
export function absoluteIn (root: string): (path: string) => string {
  const rootSlash = root.endsWith(sep) ? root : `${root}${sep}`
  return sep === '/' ? (path: string) => `${rootSlash}${path}` : (path: string) => `${rootSlash}${path.split('/').join(sep)}`
}

/**
 * A folder holding this is another repository (a git clone, a submodule's `.git` file): its files
 * are that tool's. The walk reports the folder once as untracked (`name/`, as git shows a nested
 * repository) and does not enter it; `gas add` leaves it out of a folder it expands unless named.
 * why: a game repository cloned inside the workspace listed its every file as untracked, and
 * `gas add .` took them all.
 */
export const NESTED_REPOSITORY_MARK = '.git'

/**
 * Visits the files of one folder (`rel` '' for the workspace root): tracked files with their stat
 * data, untracked files unless an ignore rule matches; each subfolder no rule ignores goes to
 * `onFolder` (not entered). The store folder and symbolic links are skipped, as `gas add` skips them;
 * a nested repository (NESTED_REPOSITORY_MARK) is one untracked `rel/`, its tracked files the caller's to stat.
 */
export function visitFolder<T> (root: string, rel: string, rules: IgnoreRules, visitor: WalkVisitor<T>, onFolder: (rel: string) => void, fs: WalkFs = syncWalkFs, toAbs = absoluteIn(root)): void {
  let dirents: Dirent[]
  try {
    dirents = fs.readdir(rel === '' ? root : toAbs(rel))
  } catch {
    return // removed while walking, or unreadable: nothing in it can be reported
  }
  if (rel !== '' && dirents.some((d) => d.name === NESTED_REPOSITORY_MARK)) return visitor.onUntracked(`${rel}/`)
  for (const d of dirents) {
    if (rel === '' && d.name === GAS_DIR) continue
    const path = rel === '' ? d.name : `${rel}/${d.name}`
    // why: some file systems report no type in a listing (DT_UNKNOWN); lstat says
    const type = d.isDirectory() || d.isFile() || d.isSymbolicLink() ? d : fs.lstat(toAbs(path))
    if (type === undefined) continue
    if (type.isDirectory()) {
      if (!rules.ignores(path, true)) onFolder(path)
    } else if (type.isFile()) {
      const entry = visitor.tracked(path)
      if (entry !== undefined) {
        const st = fs.lstat(toAbs(path))
        if (st !== undefined) visitor.onTracked(path, entry, st)
      } else if (!rules.ignores(path)) visitor.onUntracked(path)
    }
  }
}

/**
 * Visits every file of the workspace below `rels` (default: all of it), as visitFolder does one
 * folder. Ignored folders are not entered; tracked files inside them are the caller's to stat.
 */
export function walkWorkspace<T> (root: string, rules: IgnoreRules, visitor: WalkVisitor<T>, fs: WalkFs = syncWalkFs, rels: string[] = ['']): void {
  const toAbs = absoluteIn(root)
  const walk = (rel: string): void => visitFolder(root, rel, rules, visitor, walk, fs, toAbs)
  for (const rel of rels) walk(rel)
}
