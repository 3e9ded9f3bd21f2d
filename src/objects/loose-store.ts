import { join } from 'node:path'
import { GasError, fromFsError } from '../errors.js'
import { writeFileAtomic } from './atomic-write.js'
import type { FileSystem } from './fs.js'
import { hashObject, isObjectType, objectHeader, type ObjectId, type ObjectType } from './id.js'
import type { StoredObject } from './store.js'

/**
 * Small metadata objects as one file each under objects/ab/cdef…, holding `"<type> <size>\0" + body`
 * like git's (uncompressed: they are small and read often). Written to a temporary name and renamed,
 * so a reader never sees half an object.
 */
export class LooseStore {
  readonly #madeDirs = new Set<string>()
  constructor (private readonly fs: FileSystem, readonly dir: string) {}

  pathOf (id: ObjectId): string {
    return join(this.dir, id.slice(0, 2), id.slice(2))
  }

  async has (id: ObjectId): Promise<boolean> {
    try {
      await this.fs.stat(this.pathOf(id))
      return true
    } catch {
      return false
    }
  }

  async read (id: ObjectId): Promise<StoredObject | undefined> {
    let raw: Buffer
    try {
      raw = await this.fs.readFile(this.pathOf(id))
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw fromFsError(err, this.pathOf(id))
    }
    return parseLoose(id, raw)
  }

  async write (type: ObjectType, body: Uint8Array, id = hashObject(type, body)): Promise<ObjectId> {
    const path = this.pathOf(id)
    if (await this.has(id)) return id
    const fanout = id.slice(0, 2)
    const bytes = Buffer.concat([objectHeader(type, body.length), body])
    try {
      // why: one mkdir per fanout folder per process, not per object (a sync writes thousands);
      // a folder removed behind our back is made again
      if (!this.#madeDirs.has(fanout)) await this.#makeFanout(fanout)
    } catch (err) {
      throw fromFsError(err, path)
    }
    await writeFileAtomic(this.fs, path, bytes).catch(async (err: GasError) => {
      if (err.code !== 'E_NOT_FOUND') throw err
      await this.#makeFanout(fanout).catch((e) => { throw fromFsError(e, path) })
      await writeFileAtomic(this.fs, path, bytes)
    })
    return id
  }

  async #makeFanout (fanout: string): Promise<void> {
    await this.fs.mkdir(join(this.dir, fanout), { recursive: true })
    this.#madeDirs.add(fanout)
  }

  async * list (): AsyncGenerator<ObjectId> {
    let fanout: string[]
    try {
      fanout = await this.fs.readdir(this.dir)
    } catch {
      return
    }
    for (const prefix of fanout.filter((d) => /^[0-9a-f]{2}$/.test(d)).sort()) {
      for (const rest of (await this.fs.readdir(join(this.dir, prefix))).sort()) {
        if (/^[0-9a-f]{62}$/.test(rest)) yield prefix + rest
      }
    }
  }

  async sizeOf (id: ObjectId): Promise<number> {
    return (await this.fs.stat(this.pathOf(id))).size
  }
}

export function parseLoose (id: ObjectId, raw: Buffer): StoredObject {
  const nul = raw.indexOf(0)
  const header = nul > 0 ? raw.toString('latin1', 0, nul) : ''
  const space = header.indexOf(' ')
  const type = header.slice(0, space)
  const size = Number(header.slice(space + 1))
  if (nul < 0 || space < 0 || !isObjectType(type) || !Number.isSafeInteger(size)) throw GasError.corruptObject(id, 'bad header')
  const body = raw.subarray(nul + 1)
  if (body.length !== size) throw GasError.corruptObject(id, `truncated: ${body.length} of ${size} bytes`)
  if (hashObject(type, body) !== id) throw GasError.corruptObject(id, 'content does not match its id')
  return { type, body }
}
