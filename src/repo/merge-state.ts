import { join } from 'node:path'
import { GasError, fromFsError } from '../errors.js'
import { writeFileAtomic } from '../objects/atomic-write.js'
import { isObjectId, type ObjectId } from '../objects/id.js'
import type { Workspace } from './workspace.js'

/**
 * One path both sides changed differently since their common version; null means deleted.
 * `local` marks a conflict with work that is not committed: 'edited' — the file in the workspace
 * was changed and not staged (ours is that file, not `ours`'s asset); 'staged' — `ours` is an
 * asset staged and not committed.
 */
export interface PathConflict { path: string, base: ObjectId | null, ours: ObjectId | null, theirs: ObjectId | null, local?: 'edited' | 'staged' }

/**
 * .gas/merge.json while a merge waits for `gas resolve`: what is merged in and what is left.
 * After a fast-forward that met local work, `ours` is the version that work started from and
 * `theirs` the version the branch moved to (then the resolved commit has one parent).
 */
export interface MergeState { ours: ObjectId, theirs: ObjectId, from: string, conflicts: PathConflict[] }

const STATE_FILE = 'merge.json'

/** null when no merge waits; a damaged file is an error, never read as "no merge in progress" */
export async function readMergeState (ws: Workspace): Promise<MergeState | null> {
  const path = join(ws.gasDir, STATE_FILE)
  let text: string
  try {
    text = await ws.fs.readFile(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw fromFsError(err, path)
  }
  let state: MergeState
  try {
    state = JSON.parse(text) as MergeState
  } catch {
    throw damaged(path, 'not valid JSON')
  }
  if (typeof state !== 'object' || state === null || !isObjectId(state.ours) || !isObjectId(state.theirs) || typeof state.from !== 'string' || !Array.isArray(state.conflicts) ||
    !state.conflicts.every((c) => typeof c?.path === 'string')) throw damaged(path, 'not a merge state')
  return state
}

function damaged (path: string, why: string): GasError {
  return new GasError('E_CORRUPT_OBJECT', `${path} is damaged (${why}): a merge was waiting; fix the file, or remove it to abandon the merge (the branch and your files stay as they are)`, { path })
}

export async function writeMergeState (ws: Workspace, state: MergeState | null): Promise<void> {
  const path = join(ws.gasDir, STATE_FILE)
  if (state === null) { await ws.fs.rm(path, { force: true }).catch((err) => { throw fromFsError(err, path) }); return }
  await writeFileAtomic(ws.fs, path, JSON.stringify(state, null, 2))
}
