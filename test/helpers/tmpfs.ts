import { spawnSync } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'

export interface Tmpfs {
  path: string
  /** gives it another size (`mount -o remount`): space freed, or a fuller disk */
  resize: (size: string) => void
  unmount: () => void
}

/** A small tmpfs mounted under `dir` (another filesystem than the test folder's), or undefined where mounting is not allowed (not root). Unmount it in a finally. */
export function mountTmpfs (dir: string, size = '64m'): Tmpfs | undefined {
  const path = join(dir, 'other-fs')
  mkdirSync(path)
  if (spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', path]).status !== 0) return undefined
  return {
    path,
    resize: (to) => { if (spawnSync('mount', ['-o', `remount,size=${to}`, path]).status !== 0) throw new Error(`remount of ${path} failed`) },
    unmount: () => { spawnSync('umount', [path]) }
  }
}
