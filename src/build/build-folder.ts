import { join } from 'node:path'
import { GasError, fromFsError } from '../errors.js'
import { EXECUTABLE_MODE, REGULAR_MODE } from '../objects/build.js'
import type { FileSystem } from '../objects/fs.js'
import { GAS_DIR } from '../repo/workspace.js'

/** The signed manifest a fetched build carries at its root, read by an offline `gas build verify`. */
export const BUILD_RECORD = '.gas-build.json'

export interface FolderFile { path: string, abs: string, mode: number, size: number }

/**
 * Every regular file below `dir`, sorted by '/'-separated path, skipping the build record and a
 * `.gas` store at the root. A symbolic link is refused (naming it): a link could point anywhere on
 * the tester's machine, and its target is not part of the build's bytes.
 */
export async function listBuildFolder (fs: FileSystem, dir: string): Promise<FolderFile[]> {
  const out: FolderFile[] = []
  const walk = async (rel: string): Promise<void> => {
    const abs = rel === '' ? dir : join(dir, ...rel.split('/'))
    let names: string[]
    try {
      names = await fs.readdir(abs)
    } catch (err) {
      throw fromFsError(err, abs)
    }
    for (const name of names) {
      const path = rel === '' ? name : `${rel}/${name}`
      if (rel === '' && (name === BUILD_RECORD || name === GAS_DIR)) continue
      const childAbs = join(abs, name)
      const st = await fs.lstat(childAbs).catch((err) => { throw fromFsError(err, childAbs) })
      if (st.isSymbolicLink()) throw GasError.badArgument(`${path} is a symbolic link; a build holds regular files only (copy the file it points to)`, { path })
      if (st.isDirectory()) await walk(path)
      else if (st.isFile()) out.push({ path, abs: childAbs, mode: (st.mode & 0o111) !== 0 ? EXECUTABLE_MODE : REGULAR_MODE, size: st.size })
      else throw GasError.badArgument(`${path} is not a regular file (a device, socket or pipe)`, { path })
    }
  }
  await walk('')
  return out.sort((a, b) => a.path < b.path ? -1 : a.path > b.path ? 1 : 0)
}
