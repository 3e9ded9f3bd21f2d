import type { ObjectId } from '../../objects/id.js'
import type { EncodedObject, ObjectStore } from '../../objects/store.js'
import type { Clock } from '../../clock.js'

/** why: a peer that answers nothing for this long while we wait on it is stuck; dropping it lets the others take over its requests */
export const STALL_TIMEOUT_MS = 15_000
/**
 * why: a request waits at most a window's worth of transfers at the remote (~0.1 s at the link's
 * own rate, ≤ 32 MiB; seconds even on a throttled link); one unanswered this long while the peer
 * keeps talking is held on purpose (or lost), so the peer is dropped and its requests go to the others
 */
export const REQUEST_TIMEOUT_MS = 4 * STALL_TIMEOUT_MS
/** why: how often stalls are looked for; a fraction of the timeout is precise enough */
export const STALL_CHECK_MS = 1_000
/**
 * why: objects received and waiting for verification and the disk; past this the disk is the
 * bottleneck, and requesting more would only fill memory. Small, because a killed fetcher loses
 * this backlog and fetches it again: 8 MiB (with 2 MiB pack writes) made a resume send up to 1.3%
 * of 1 GiB twice; 32 such objects still keep the one verify-and-append chain busy.
 */
export const MAX_VERIFY_BACKLOG_BYTES = 2 * 1024 * 1024
/** why: loose object writes wait on the thread pool (4 threads); 16 at a time measured 2.9x faster than one by one */
export const MAX_PARALLEL_LOOSE_PUTS = 16
/** why: progress callbacks drive a terminal bar; more often than this is wasted work */
export const PROGRESS_INTERVAL_MS = 100

export interface WantRequest {
  id: ObjectId
  /** 0..255, higher first (WANT's priority byte) */
  priority: number
  /** expected bytes, when known (chunks: from the file manifest) */
  size?: number
}

export interface FetchOptions {
  /** ask every peer which of these it has (HAVE/DONT_HAVE) before requesting: needed for rarest first. Otherwise every peer is assumed to have everything. */
  probe?: boolean
  /** the caller just checked that none of `wants` is stored (a want-set): skip asking the store again */
  knownMissing?: boolean
  /**
   * make what was fetched durable before returning (store.flush: the pack's data synced, its index
   * written). Default true. false: a caller fetching in rounds (a sync's metadata) flushes once
   * itself before anything refers to the objects (refs); what a crash leaves unindexed, the next
   * open recovers from the pack (recover.ts).
   */
  flush?: boolean
  /**
   * More wants, asked for whenever the fetch runs low (FEED_LOW_WATER not done), until it returns
   * none. Taken as missing, as with knownMissing. why: a big fetch starts with a few wants and takes
   * the rest as it goes, so its first request leaves at once and its state stays that of the wants
   * in play, with no pause between slices (content-slices.ts).
   */
  more?: () => WantRequest[]
}

/** why: a fetch fed as it goes takes more wants while this many are left (~128 MiB of chunks: far more than any window) */
export const FEED_LOW_WATER = 2048
/** why: end-game copies come within a round trip of the first; this many done ids cover several windows */
export const RECENTLY_DONE = 4096

export interface FetchResult {
  /** objects stored */
  objects: number
  /** encoded bytes of the objects stored */
  bytes: number
  /** wanted objects that no reachable peer could provide (those refused are in `denied` instead) */
  missing: ObjectId[]
  /** wanted objects no peer provided and at least one refused to us (its ACL): not retried with others forever, reported */
  denied: Array<{ id: ObjectId, peers: string[] }>
  /** objects received more than once (end game, late after CANCEL) */
  duplicates: number
}

export interface SwarmProgress {
  objects: number
  bytes: number
  totalObjects: number
  /** sum of the known sizes */
  totalBytes: number
  peers: number
}

export interface DroppedPeer { peer: string, code: string, message: string }

export interface SwarmOptions {
  store: ObjectStore
  clock?: Clock
  onProgress?: (progress: SwarmProgress) => void
  endGameItems?: number
  stallTimeoutMs?: number
  /** drop a peer that leaves one request unanswered this long (default REQUEST_TIMEOUT_MS) */
  requestTimeoutMs?: number
  /** each wanted object once verified and stored; its bytes are valid during the call only (a sync writes files while their chunks arrive); a promise returned holds the next put until it settles */
  onStored?: (id: ObjectId, object: EncodedObject) => Promise<void> | undefined
}
