import { join } from 'node:path'
import { fromFsError } from '../errors.js'
import type { FileSystem } from './fs.js'
import type { ObjectId } from './id.js'

/**
 * Trees this store holds completely: the tree, everything below it, and all their content.
 * Objects are immutable and never deleted, so once true it stays true, and a sync's walk of what
 * is missing skips such a subtree without reading it: without this, every `gas sync` re-read
 * every asset and manifest of the project (2000 assets: 1.5 s; 100 GB projects: minutes).
 * `gas fsck` forgets them all when it finds a damaged object.
 */
export interface CompleteTrees {
  has: (id: ObjectId) => boolean
  add: (ids: ObjectId[]) => Promise<void>
  clear: () => Promise<void>
}

export class MemoryCompleteTrees implements CompleteTrees {
  readonly #ids = new Set<ObjectId>()
  has (id: ObjectId): boolean { return this.#ids.has(id) }
  async add (ids: ObjectId[]): Promise<void> { for (const id of ids) this.#ids.add(id) }
  async clear (): Promise<void> { this.#ids.clear() }
}

const ID_LINE = /^[0-9a-f]{64}$/

/** One id per line in `<objects>/info/complete-trees`, appended to; a torn last line is ignored. */
export class FileCompleteTrees implements CompleteTrees {
  readonly #ids = new Set<ObjectId>()
  readonly #path: string

  private constructor (private readonly fs: FileSystem, objectsDir: string) {
    this.#path = join(objectsDir, 'info', 'complete-trees')
  }

  static async open (fs: FileSystem, objectsDir: string): Promise<FileCompleteTrees> {
    const trees = new FileCompleteTrees(fs, objectsDir)
    let text = ''
    try {
      text = await fs.readFile(trees.#path, 'utf8')
    } catch {
      // none recorded yet
    }
    for (const line of text.split('\n')) if (ID_LINE.test(line)) trees.#ids.add(line)
    return trees
  }

  has (id: ObjectId): boolean { return this.#ids.has(id) }

  async add (ids: ObjectId[]): Promise<void> {
    const fresh = ids.filter((id) => !this.#ids.has(id))
    if (fresh.length === 0) return
    try {
      await this.fs.mkdir(join(this.#path, '..'), { recursive: true })
      await this.fs.appendFile(this.#path, fresh.map((id) => `${id}\n`).join(''))
    } catch (err) {
      throw fromFsError(err, this.#path)
    }
    for (const id of fresh) this.#ids.add(id)
  }

  async clear (): Promise<void> {
    this.#ids.clear()
    await this.fs.rm(this.#path, { force: true })
  }
}
