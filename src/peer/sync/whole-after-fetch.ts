import type { ObjectId } from '../../objects/id.js'
import type { WantSet } from '../../sync/want-set.js'
import type { FetchResult } from '../swarm/swarm-options.js'

/**
 * The trees a sync may record whole: none while anything is missing; those the walk found whole,
 * and, when every listed content object arrived (none missing, none refused), those it found
 * whole once that content arrives. why not walk again after the fetch: it asked the store about
 * every chunk a second time (16 379 lookups for a 1 GiB file) only to learn what the fetch's
 * result already says.
 */
export function wholeAfterFetch (wantSet: Pick<WantSet, 'newlyWhole' | 'wholeOnArrival'>, missing: readonly ObjectId[], content: Pick<FetchResult, 'missing' | 'denied'>): ObjectId[] {
  if (missing.length > 0 || content.missing.length > 0) return []
  return content.denied.length > 0 ? wantSet.newlyWhole : [...wantSet.newlyWhole, ...wantSet.wholeOnArrival]
}
