import { spawnSync } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'

/** A small tmpfs mounted under `dir` (another filesystem than the test folder's), or undefined where mounting is not allowed (not root). Unmount it in a finally. */
export function mountTmpfs (dir: string): { path: string, unmount: () => void } | undefined {
  const path = join(dir, 'other-fs')
  mkdirSync(path)
  if (spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64m', 'tmpfs', path]).status !== 0) return undefined
  return { path, unmount: () => { spawnSync('umount', [path]) } }
}
