import { GasError } from '../errors.js'
import { checkTag } from '../objects/asset.js'
import type { ObjectId } from '../objects/id.js'
import { checkMessage, encodeVersion, signedPart, type Version } from '../objects/version.js'
import { signBytes } from './identity.js'
import { readMergeState, writeMergeState } from './merge-state.js'
import { streamIndex } from './index-stream.js'
import { writeIndexLines } from './staging-index.js'
import { readVersion } from './tree-io.js'
import { writeTreeSorted } from './tree-stream.js'
import type { Workspace } from './workspace.js'
import { traceMark } from '../trace.js'

export interface CommitOptions { message: string, tags?: Record<string, string>, extraParents?: ObjectId[] }

/**
 * Records the staged assets as a new signed version and moves the branch to it with
 * compare-and-swap, so two commits racing on one workspace cannot lose either.
 */
export async function commit (ws: Workspace, opts: CommitOptions): Promise<ObjectId> {
  checkMessage(opts.message)
  for (const [k, v] of Object.entries(opts.tags ?? {})) checkTag(k, v)
  return await ws.withLock(async () => await commitLocked(ws, opts))
}

async function commitLocked (ws: Workspace, opts: CommitOptions): Promise<ObjectId> {
  // why streamed: a 200 000-asset index held whole costs more memory than a commit may take
  traceMark('commit: locked')
  const index = await streamIndex(ws.fs, ws.gasDir)
  const head = await ws.head()
  // finishing a merge: its other head becomes the second parent once every conflict is resolved
  const merging = await readMergeState(ws)
  if (merging !== null && merging.conflicts.length > 0) {
    throw new GasError('E_CONFLICT', `${merging.conflicts.length} conflict(s) left: ${merging.conflicts.map((c) => c.path).join(', ')}; \`gas resolve PATH --take ours|theirs|VERSION\` first (ours keeps the file as it is in the workspace, a hand merge included)`)
  }
  let staged = 0
  const tree = await writeTreeSorted(ws.store, (async function * () {
    for await (const [path, entry] of index.entries) {
      staged++
      yield [path, entry.asset] as [string, ObjectId]
    }
  })())
  const extraParents = [...(opts.extraParents ?? []), ...(merging !== null && merging.ours === head ? [merging.theirs] : [])]
  if (head !== undefined && extraParents.length === 0 && (await readVersion(ws.store, head)).tree === tree) {
    throw new GasError('E_NOTHING_TO_COMMIT', 'nothing changed since the last version; `gas add` files first')
  }
  if (head === undefined && staged === 0) throw new GasError('E_NOTHING_TO_COMMIT', 'nothing staged; `gas add` files first')
  const unsigned: Version = {
    tree,
    parents: [...(head === undefined ? [] : [head]), ...extraParents],
    author: ws.author,
    time: ws.authorTime(),
    message: opts.message,
    tags: opts.tags ?? {},
    signature: null
  }
  const version: Version = { ...unsigned, signature: signBytes(ws.identity, signedPart(unsigned)) }
  traceMark('commit: tree written')
  const id = await ws.store.put('version', encodeVersion(version))
  traceMark('commit: version written')
  await ws.refs.update({ name: ws.branchRef, newId: id, expectedOld: head ?? null, message: `commit: ${opts.message.split('\n')[0]}`, who: ws.identity.name, now: ws.clock.now() })
  traceMark('commit: ref moved')
  await writeIndexLines(ws.fs, ws.gasDir, id, index.lines)
  traceMark('commit: index written')
  if (merging !== null) await writeMergeState(ws, null)
  return id
}
