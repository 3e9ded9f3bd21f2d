import type { BufferPool } from '../objects/buffer-pool.js'
import type { LendingPool } from '../pack/lending-pool.js'
import type { CompleteTrees } from '../objects/complete-trees.js'
import type { ObjectId, ObjectType } from '../objects/id.js'
import type { EncodedObject, EntryChecksum, ObjectStore, StoredObject } from '../objects/store.js'

/** Told of each object a fetch stored, once the store verified it; its bytes are only valid until it returns. */
export type OnStored = (id: ObjectId, object: EncodedObject) => Promise<void>

/**
 * A store that tells `onStored` of every object put into it encoded (what a fetch receives), after
 * the store verified and kept it: the LFS agent writes the file git-lfs waits for while the fetch
 * runs. Everything else goes to the store as is. Written as a wrapper so the swarm, which takes
 * any ObjectStore, needs no hook of its own.
 */
export class ObservedStore implements ObjectStore {
  onStored: OnStored | undefined

  constructor (private readonly inner: ObjectStore) {}

  get completeTrees (): CompleteTrees | undefined { return this.inner.completeTrees }

  async has (id: ObjectId, type?: ObjectType): Promise<boolean> { return await this.inner.has(id, type) }
  async get (id: ObjectId): Promise<StoredObject> { return await this.inner.get(id) }
  async put (type: ObjectType, body: Uint8Array): Promise<ObjectId> { return await this.inner.put(type, body) }
  async getEncoded (id: ObjectId, pool?: BufferPool): Promise<EncodedObject | undefined> { return await this.inner.getEncoded(id, pool) }
  getEncodedNow (id: ObjectId, pool: LendingPool): EncodedObject | undefined { return this.inner.getEncodedNow?.(id, pool) }
  async flush (): Promise<void> { await this.inner.flush() }

  receivedChecksumSeed (id: ObjectId, object: EncodedObject): number | undefined { return this.inner.receivedChecksumSeed?.(id, object) }

  async putEncoded (id: ObjectId, object: EncodedObject, hashedId?: ObjectId, checksum?: EntryChecksum): Promise<void> {
    await this.inner.putEncoded(id, object, hashedId, checksum)
    await this.onStored?.(id, object)
  }
}
