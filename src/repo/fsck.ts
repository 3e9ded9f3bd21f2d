import { GasError } from '../errors.js'
import { checkStore, type Problem } from '../pack/fsck.js'
import { readIndex } from './staging-index.js'
import { walkReachable } from './reachable.js'
import type { Workspace } from './workspace.js'

export interface FsckReport { ok: boolean, problems: Problem[], objects: number, missingChunks: number }

/**
 * Re-hashes every stored object, then walks every ref and staged asset: metadata that is missing
 * or undecodable is a problem. Chunks absent on purpose (selective sync) are counted, not flagged.
 */
export async function fsck (ws: Workspace): Promise<FsckReport> {
  let objects = 0
  const problems = await checkStore(ws.store, () => { objects++ })
  const bad = new Set(problems.map((p) => p.id))
  let refs: Array<{ name: string, id: string }> = []
  try {
    refs = await ws.refs.list()
  } catch (err) {
    problems.push({ id: 'refs', code: err instanceof GasError ? err.code : 'E_IO', message: (err as Error).message })
  }
  let staged: string[] = []
  try {
    staged = Object.values((await readIndex(ws.fs, ws.gasDir)).entries).map((e) => e.asset)
  } catch (err) {
    problems.push({ id: 'index.json', code: err instanceof GasError ? err.code : 'E_IO', message: (err as Error).message })
  }
  const chunks: string[] = []
  await walkReachable(ws.store, [...refs.map((r) => r.id), ...staged], {
    onChunk: (id) => { chunks.push(id) },
    onMissing: (id, err) => {
      if (bad.has(id)) return
      bad.add(id)
      problems.push({ id, code: err instanceof GasError ? err.code : 'E_IO', message: err instanceof GasError ? err.message : String(err) })
    }
  })
  let missingChunks = 0
  for (const id of new Set(chunks)) if (!bad.has(id) && !ws.store.hasPacked(id) && !(await ws.store.has(id))) missingChunks++
  // why: a damaged object breaks the promise behind every recorded whole tree; the next sync walks all and fetches it again
  if (problems.length > 0) await ws.store.completeTrees.clear()
  return { ok: problems.length === 0, problems, objects, missingChunks }
}
