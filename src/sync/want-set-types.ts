import { createHash } from 'node:crypto'
import type { Asset } from '../objects/asset.js'
import type { CompleteTrees } from '../objects/complete-trees.js'
import type { ObjectId } from '../objects/id.js'
import type { ObjectStore } from '../objects/store.js'
import type { Companion } from './companions.js'

/** What a want-set walk is asked (WantSetOptions) and answers (WantSet): the walk itself is want-set.ts. */

export type WantKind = 'metadata' | 'content'

export interface WantedObject {
  id: ObjectId
  kind: WantKind
  priority: number
  /** raw bytes when known (chunks) */
  size?: number
  /** workspace path of the asset it belongs to, when known */
  path?: string
  /** content: the asset (or file manifest) it belongs to, a root that fetches it again */
  asset?: ObjectId
}

export interface WantSet {
  metadata: WantedObject[]
  content: WantedObject[]
  /** bytes of content wanted */
  contentBytes: number
  /** no metadata is missing: `content` is everything these roots need */
  complete: boolean
  /**
   * Keys of trees found whole by this walk (everything below them here, content included where
   * the policy wants it). The walk writes nothing: the caller records them in the store's
   * completeTrees once it trusts them (syncRepo does after a sync that left nothing missing).
   */
  newlyWhole: ObjectId[]
  /**
   * Keys of trees that are not whole yet but will be once the content this set lists arrives:
   * nothing else below them is missing (no metadata, nothing the peers refused). A sync that
   * fetched all of `content` records them with `newlyWhole`, without walking again.
   */
  wholeOnArrival: ObjectId[]
  /**
   * Older versions' content the policy wants but this walk left on the peers (contentOfHistory
   * false): how many file contents, and their sizes. Not missing: left out on purpose, fetched on
   * demand (`gas restore --version`); a tree holding such a version is not recorded whole.
   */
  historyLeftOut: { files: number, bytes: number }
}

/** The content policy's question: is this asset's content wanted here? A companion (`X.meta`) is asked with its partner `X`. */
export type WantContent = (path: string, asset: Asset, companion?: Companion) => boolean

export interface WantSetOptions {
  store: ObjectStore
  roots: ObjectId[]
  /** selective sync: whether this asset's content is wanted (default: all) */
  wantContent?: WantContent
  /**
   * Identifies the policy `wantContent` applies (SyncPolicy.fingerprint). With it, a tree whose
   * unwanted content is absent can be whole *for this policy* at its path; without it, only trees
   * holding all their content are.
   */
  policyKey?: string
  /** trees known whole (default: the store's); read only */
  completeTrees?: Pick<CompleteTrees, 'has'>
  /** walk parents of versions too (default true): history metadata and, with contentOfHistory, its content */
  history?: boolean
  /** content of older versions too (default true, like git); false: only the versions the roots name */
  contentOfHistory?: boolean
  /**
   * Decoded objects kept between the rounds of one sync: each round walks again from the roots,
   * and would read and verify every stored version, tree and asset again. Objects are immutable,
   * so a cache can only be missing entries. File manifests are left out: they are the bulk of a
   * big project's metadata and the last level, read again in one round at most.
   */
  decoded?: Map<ObjectId, unknown>
  /** roots whose content is wanted whole, whatever wantContent says: a serve keeps every git repository state pushed to the team (SyncOptions.keepWhole) */
  wholeRoots?: ReadonlySet<ObjectId>
  /** roots whose older versions' files left on the peers are not counted in historyLeftOut: git repository states (no one restores an older state's refs list) */
  uncountedRoots?: ReadonlySet<ObjectId>
  /**
   * Objects the peers refused us (access denied): not wanted again by this walk, like content the
   * policy leaves out, but what holds them is not whole (a later sync, or a changed policy, may bring them).
   */
  unavailable?: ReadonlySet<ObjectId>
}

/**
 * The completeTrees key of a tree that is whole only because the policy leaves some content out:
 * the same tree at another path, or under another policy, may need that content.
 */
export function policyTreeKey (policyKey: string, treeId: ObjectId, prefix: string): ObjectId {
  return createHash('sha256').update(`${policyKey}\0${treeId}\0${prefix}`).digest('hex')
}
