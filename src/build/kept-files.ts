import { dirname, join } from 'node:path'
import type { Build } from '../objects/build.js'
import type { FileSystem } from '../objects/fs.js'
import { listBuildFolder } from './build-folder.js'
import { readBuildRecord } from './build-record.js'

/** Where a file of the tester's goes when the new build has a file at its path: the build's file wins, theirs is kept here. */
export const KEPT_DIR = '.gas-kept'

/** What became of the files in the folder a fetch replaced that were not part of the build fetched there before. */
export interface KeptFiles {
  /** paths (in the new folder) of the files carried over: saves, logs, settings the game or the tester wrote */
  kept: string[]
  /** the previous folder, left whole under this name because its files could not be told apart from the build's */
  previousKeptAs?: string
}

/**
 * Carries the files that are not the previous build's from `old` (the replaced folder) into
 * `target` (the new build), so that fetching the next version over the last one leaves the
 * tester's saves, crash dumps and notes where they were, as a launcher's update does. The previous
 * build's own files go (the new build replaces them, changed or not). Where the previous record
 * cannot be read and checked, nothing in `old` can be told apart from the build's, so the whole
 * folder is kept under a visible name beside `target` instead of removed.
 */
export async function carryOverFiles (fs: FileSystem, old: string, target: string, build: Build, keepWholeAs: string): Promise<KeptFiles> {
  let theirs: string[]
  try {
    const previous = await readBuildRecord(fs, old)
    const built = new Set(previous.build.files.map((f) => f.path))
    theirs = (await listBuildFolder(fs, old)).map((f) => f.path).filter((path) => !built.has(path))
  } catch {
    await fs.rename(old, keepWholeAs)
    return { kept: [], previousKeptAs: keepWholeAs }
  }
  const inBuild = new Set(build.files.map((f) => f.path))
  const folders = new Set(build.files.flatMap((f) => parentsOf(f.path)))
  const kept: string[] = []
  for (const path of theirs) {
    // a path the new build uses (as a file, or as a folder it needs) keeps the build's; the tester's file moves aside
    const clash = inBuild.has(path) || folders.has(path) || parentsOf(path).some((p) => inBuild.has(p))
    const to = clash ? `${KEPT_DIR}/${path}` : path
    const abs = join(target, ...to.split('/'))
    await fs.mkdir(dirname(abs), { recursive: true })
    await fs.rename(join(old, ...path.split('/')), abs)
    kept.push(to)
  }
  return { kept }
}

/** 'a/b/c.txt' → ['a', 'a/b'] */
function parentsOf (path: string): string[] {
  const parts = path.split('/')
  return parts.slice(1).map((_, i) => parts.slice(0, i + 1).join('/'))
}
