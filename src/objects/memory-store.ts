import { GasError } from '../errors.js'
import { MemoryCompleteTrees } from './complete-trees.js'
import { decompress } from './compression.js'
import { hashObject, type ObjectId, type ObjectType } from './id.js'
import type { EncodedObject, ObjectStore, StoredObject } from './store.js'

/** In-memory ObjectStore for tests and simulations; same verification as the real one. */
export class MemoryStore implements ObjectStore {
  readonly objects = new Map<ObjectId, StoredObject>()
  readonly completeTrees = new MemoryCompleteTrees()

  async has (id: ObjectId): Promise<boolean> {
    return this.objects.has(id)
  }

  async get (id: ObjectId): Promise<StoredObject> {
    const object = this.objects.get(id)
    if (object === undefined) throw GasError.notFound(`object ${id}`, { id })
    if (hashObject(object.type, object.body) !== id) throw GasError.corruptObject(id, 'content does not match its id')
    return object
  }

  async put (type: ObjectType, body: Uint8Array): Promise<ObjectId> {
    const id = hashObject(type, body)
    if (!this.objects.has(id)) this.objects.set(id, { type, body: new Uint8Array(body) })
    return id
  }

  async getEncoded (id: ObjectId): Promise<EncodedObject | undefined> {
    const object = this.objects.get(id)
    if (object === undefined) return undefined
    return { type: object.type, encoding: 0, rawLength: object.body.length, bytes: object.body }
  }

  async putEncoded (id: ObjectId, object: EncodedObject): Promise<void> {
    const raw = decompress(object.encoding, object.bytes, object.rawLength, id)
    if (hashObject(object.type, raw) !== id) throw GasError.corruptObject(id, 'received bytes do not match the id')
    this.objects.set(id, { type: object.type, body: new Uint8Array(raw) })
  }

  async flush (): Promise<void> {}
}
