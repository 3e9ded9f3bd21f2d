import type { CompleteTrees } from './complete-trees.js'
import type { BufferPool } from './buffer-pool.js'
import type { LendingPool } from '../pack/lending-pool.js'
import type { ObjectId, ObjectType } from './id.js'

export interface StoredObject { type: ObjectType, body: Uint8Array }

/** 0 = raw, 1 = zstd. Ids are always over the raw bytes; the encoding is how they rest and travel. */
export type Encoding = 0 | 1

/** An object as a pack holds it: sent on the wire as is, so a compressed chunk is never recompressed. */
export interface EncodedObject { type: ObjectType, encoding: Encoding, rawLength: number, bytes: Uint8Array }

/**
 * Types a store keeps as files of their own when received (a prefix of their id finds them), so
 * several may be put at once; the others are appended to one pack, and put one at a time.
 */
export const LOOSE_WHEN_RECEIVED: ReadonlySet<ObjectType> = new Set<ObjectType>(['version', 'tag'])

/**
 * A CRC-32 of a received object's pack entry computed by the caller where it hashed the bytes (on
 * another thread): started from the store's `receivedChecksumSeed` and continued over the bytes.
 */
export interface EntryChecksum { seed: number, crc: number }

export interface ObjectStore {
  /** `type`, when the caller knows it, lets a store skip places that never hold that type */
  has (id: ObjectId, type?: ObjectType): Promise<boolean>
  /** has(id, 'chunk') answered without waiting, the id as its 32 bytes; undefined: ask has() */
  hasChunkKey? (key: Buffer): boolean | undefined
  /** Reads and verifies the id; throws E_NOT_FOUND or E_CORRUPT_OBJECT. */
  get (id: ObjectId): Promise<StoredObject>
  put (type: ObjectType, body: Uint8Array): Promise<ObjectId>
  /** `pool`: a store that reads from disk may read into a buffer of this pool; the caller gives it back when done */
  getEncoded (id: ObjectId, pool?: BufferPool): Promise<EncodedObject | undefined>
  /** getEncoded() answered without waiting when the bytes are in memory already (lent from `pool`); undefined: ask getEncoded() */
  getEncodedNow? (id: ObjectId, pool: LendingPool): EncodedObject | undefined
  /**
   * Decodes, verifies against `id`, then stores; throws E_CORRUPT_OBJECT on a mismatch and stores nothing.
   * `hashedId`: the caller already hashed these very bytes (decoded) to this id on another thread; it is compared instead of hashing again.
   */
  putEncoded (id: ObjectId, object: EncodedObject, hashedId?: ObjectId, checksum?: EntryChecksum): Promise<void>
  /**
   * The CRC-32 the store's entry for this received object starts with (its header), when it keeps
   * one; a caller hashing the bytes elsewhere continues it over them and passes it to putEncoded,
   * which then does not read the bytes again for it. undefined: nothing to continue.
   */
  receivedChecksumSeed? (id: ObjectId, object: EncodedObject): number | undefined
  /** trees held with everything below them (see complete-trees.ts); absent: always walk */
  readonly completeTrees?: CompleteTrees
  /** Makes everything put so far durable and visible to other processes. */
  flush (): Promise<void>
}
