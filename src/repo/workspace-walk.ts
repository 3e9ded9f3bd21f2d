import { lstatSync, readdirSync, type Stats, type Dirent } from 'node:fs'
import { sep } from 'node:path'
import type { IgnoreRules } from './ignore-rules.js'
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
  onTracked: (path: string, entry: T, st: Stats) => void
  /** a file neither tracked nor ignored */
  onUntracked: (path: string) => void
}

/**
 * Visits every file of the workspace below `root` (the store folder and symbolic links excluded, as
 * `gas add` skips them): tracked files with their stat data, untracked files unless an ignore rule
 * matches. Ignored folders are not entered; tracked files inside them are the caller's to stat.
 */
export function walkWorkspace<T> (root: string, rules: IgnoreRules, visitor: WalkVisitor<T>, fs: WalkFs = syncWalkFs): void {
  // why concatenation, not path.join: join normalises every one of 100 000 paths, and these are already clean
  const rootSlash = root.endsWith(sep) ? root : `${root}${sep}`
  const toAbs = sep === '/' ? (path: string) => `${rootSlash}${path}` : (path: string) => `${rootSlash}${path.split('/').join(sep)}`
  const walk = (rel: string): void => {
    let dirents: Dirent[]
    try {
      dirents = fs.readdir(rel === '' ? root : toAbs(rel))
    } catch {
      return // removed while walking, or unreadable: nothing in it can be reported
    }
    for (const d of dirents) {
      if (rel === '' && d.name === GAS_DIR) continue
      const path = rel === '' ? d.name : `${rel}/${d.name}`
      // why: some file systems report no type in a listing (DT_UNKNOWN); lstat says
      const type = d.isDirectory() || d.isFile() || d.isSymbolicLink() ? d : fs.lstat(toAbs(path))
      if (type === undefined) continue
      if (type.isDirectory()) {
        if (!rules.ignores(path, true)) walk(path)
      } else if (type.isFile()) {
        const entry = visitor.tracked(path)
        if (entry !== undefined) {
          const st = fs.lstat(toAbs(path))
          if (st !== undefined) visitor.onTracked(path, entry, st)
        } else if (!rules.ignores(path)) visitor.onUntracked(path)
      }
    }
  }
  walk('')
}
