import * as nodeFs from 'node:fs'
import git from 'isomorphic-git'

/**
 * The git commit checked out in the work tree holding `dir`, or undefined when `dir` is not in a
 * git work tree (or HEAD has no commit yet). Read through isomorphic-git: no git binary needed.
 */
export async function gitCommitOf (dir: string): Promise<string | undefined> {
  try {
    const root = await git.findRoot({ fs: nodeFs, filepath: dir })
    return await git.resolveRef({ fs: nodeFs, dir: root, ref: 'HEAD' })
  } catch {
    return undefined
  }
}
