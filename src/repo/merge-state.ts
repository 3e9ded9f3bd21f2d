import { join } from 'node:path'
import type { ObjectId } from '../objects/id.js'
import type { Workspace } from './workspace.js'

/** One path both sides changed differently since their common version; null means deleted. */
export interface PathConflict { path: string, base: ObjectId | null, ours: ObjectId | null, theirs: ObjectId | null }

/** .gas/merge.json while a merge waits for `gas resolve`: what is merged in and what is left. */
export interface MergeState { ours: ObjectId, theirs: ObjectId, from: string, conflicts: PathConflict[] }

const STATE_FILE = 'merge.json'

export async function readMergeState (ws: Workspace): Promise<MergeState | null> {
  try {
    return JSON.parse(await ws.fs.readFile(join(ws.gasDir, STATE_FILE), 'utf8')) as MergeState
  } catch {
    return null
  }
}

export async function writeMergeState (ws: Workspace, state: MergeState | null): Promise<void> {
  const path = join(ws.gasDir, STATE_FILE)
  if (state === null) { await ws.fs.rm(path, { force: true }); return }
  await ws.fs.writeFile(`${path}.tmp`, JSON.stringify(state, null, 2))
  await ws.fs.rename(`${path}.tmp`, path)
}
