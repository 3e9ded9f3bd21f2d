import { lstatSync, readdirSync, type BigIntStats, type Dirent } from 'node:fs'
import { join } from 'node:path'
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
  lstat: (abs: string) => BigIntStats | undefined
}

export const syncWalkFs: WalkFs = {
  readdir: (abs) => readdirSync(abs, { withFileTypes: true }),
  lstat: (abs) => lstatSync(abs, { bigint: true, throwIfNoEntry: false })
}

export interface WalkVisitor {
  /** whether the workspace-relative path is tracked (then its stat data is passed to onTracked) */
  isTracked: (path: string) => boolean
  onTracked: (path: string, st: BigIntStats) => void
  /** a file neither tracked nor ignored */
  onUntracked: (path: string) => void
}

/**
 * Visits every file of the workspace below `root` (the store folder and symbolic links excluded, as
 * `gas add` skips them): tracked files with their stat data, untracked files unless an ignore rule
 * matches. Ignored folders are not entered; tracked files inside them are the caller's to stat.
 */
export function walkWorkspace (root: string, rules: IgnoreRules, visitor: WalkVisitor, fs: WalkFs = syncWalkFs): void {
  const walk = (rel: string): void => {
    let dirents: Dirent[]
    try {
      dirents = fs.readdir(rel === '' ? root : join(root, rel))
    } catch {
      return // removed while walking, or unreadable: nothing in it can be reported
    }
    for (const d of dirents) {
      if (rel === '' && d.name === GAS_DIR) continue
      const path = rel === '' ? d.name : `${rel}/${d.name}`
      // why: some file systems report no type in a listing (DT_UNKNOWN); lstat says
      const type = d.isDirectory() || d.isFile() || d.isSymbolicLink() ? d : fs.lstat(join(root, path))
      if (type === undefined) continue
      if (type.isDirectory()) {
        if (!rules.ignores(path, true)) walk(path)
      } else if (type.isFile()) {
        if (visitor.isTracked(path)) {
          const st = fs.lstat(join(root, path))
          if (st !== undefined) visitor.onTracked(path, st)
        } else if (!rules.ignores(path)) visitor.onUntracked(path)
      }
    }
  }
  walk('')
}
