import type { ObjectId } from '../../objects/id.js'
import type { EncodedObject, ObjectStore } from '../../objects/store.js'
import type { CompactWantSet, WantContent, WantedObject } from '../../sync/want-set.js'
import type { Denials } from '../session/denials.js'
import type { FetchResult, Swarm } from '../swarm/swarm.js'
import { fetchInSlices, type SliceProgress } from './content-slices.js'
import { wholeAfterFetch } from './whole-after-fetch.js'
import { traceMark } from '../../trace.js'

/** The content policy a fetch follows: what is wanted, the policy's fingerprint, and whether older versions' content is. */
export interface ContentPolicy {
  wantContent?: WantContent
  /** SyncPolicy.fingerprint: lets trees whose unwanted content is absent count as whole */
  policyKey?: string
  /** content of older versions too (default true); false: the versions the refs name, older ones on demand */
  contentOfHistory?: boolean
}

/** Files written while their chunks arrive (src/repo/arriving-files.ts): told the content wanted, each chunk stored, and when the fetch is over. */
export interface ArrivingContent {
  plan: (store: ObjectStore, wants: WantedObject[]) => Promise<void>
  onStored: (id: ObjectId, object: EncodedObject) => Promise<void> | undefined
  finish: (store: ObjectStore) => Promise<void>
}

export interface ContentPassOptions {
  store: ObjectStore
  swarm: Swarm
  /** a complete walk's wants (its metadata, if any is left, counts as missing) */
  wantSet: CompactWantSet
  slices: SliceProgress
  contentSlice?: number
  arriving?: ArrivingContent
  denials: Denials
  /** objects the peers refused: the refusals of this pass join them */
  unavailable: Set<ObjectId>
}

export interface ContentPassResult {
  /** what is still missing: the walk's metadata and the content no peer provided */
  missing: ObjectId[]
  missingWants: WantedObject[]
  duplicates: number
}

/**
 * One content fetch of a sync: the want-set's content in slices from every peer, then the trees
 * found whole recorded. A sync runs it once, and again on the same sessions when the refs it
 * applied brought a new policy (a `.gasrules` or a role): the second walk lists only what the
 * new rules want and the first did not bring.
 */
export async function fetchContentPass (opts: ContentPassOptions): Promise<ContentPassResult> {
  const { store, wantSet } = opts
  Object.assign(opts.slices, { totalObjects: 0, totalBytes: 0 })
  traceMark(`content: ${wantSet.content.length} wanted`)
  // the first want of each file is all a plan needs (a want per chunk would be ~150 000 objects for 10 GB)
  await opts.arriving?.plan(store, wantSet.content.firstOfEachOwner())
  traceMark('arriving planned')
  // why no flush per slice: the files written while their chunks arrived are finished while the
  // store flushes (different files: ~20 ms each, one after the other before); syncRepo flushes
  // again before any ref names what came
  const content: FetchResult = await fetchInSlices(async (first, more) => await opts.swarm.fetch(first, { probe: true, knownMissing: true, flush: false, more }), wantSet.content, opts.slices, opts.contentSlice)
  traceMark('content fetched')
  await Promise.all([store.flush(), opts.arriving?.finish(store)])
  traceMark('arriving finished')
  opts.denials.add(content.denied, content.denied.length === 0 ? [] : wantSet.content.toArray(), opts.unavailable)
  const missing = [...wantSet.metadata.map((w) => w.id), ...content.missing]
  const stillMissing = new Set(content.missing)
  const missingWants: WantedObject[] = [...wantSet.metadata, ...wantSet.content.filter((w) => stillMissing.has(w.id))]
  // why: records the trees that are whole now, so the next sync does not walk them (only what changed is walked)
  await store.completeTrees?.add(wholeAfterFetch(wantSet, missing, content))
  traceMark('whole trees recorded')
  return { missing, missingWants, duplicates: content.duplicates }
}
