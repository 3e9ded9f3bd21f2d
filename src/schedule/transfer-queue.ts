import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { GasError, fromFsError } from '../errors.js'
import type { FileSystem } from '../objects/fs.js'
import { compareQueued, QUEUE_CLASSES, strongerClass, type QueueClass } from './priority.js'

/**
 * The persisted transfer queue (.gas/queue.json): content a sync decided to fetch but may not
 * fetch yet (no window open at both ends). Every change is written to a fresh temporary file and
 * renamed over the old one, so a SIGKILL or a power cut leaves the old queue or the new one,
 * never half of one; `gas serve` fetches from it when a window opens.
 */
export interface QueueItem {
  /** what to fetch: a file manifest (or asset) id; its chunks come with it */
  id: string
  path: string
  /** content bytes */
  bytes: number
  class: QueueClass
  /** ISO 8601: needed by then (class `deadline`) */
  deadline?: string
  /** members known to hold it */
  peers: string[]
  /** ISO 8601 */
  addedAt: string
}

export interface QueueState { version: 1, paused: boolean, items: QueueItem[] }

const FILE = 'queue.json'

function empty (): QueueState {
  return { version: 1, paused: false, items: [] }
}

function checkState (value: unknown): QueueState {
  const s = value as QueueState
  if (s?.version !== 1 || typeof s.paused !== 'boolean' || !Array.isArray(s.items)) throw new Error('not a queue')
  for (const item of s.items) {
    if (typeof item?.id !== 'string' || typeof item.path !== 'string' || typeof item.bytes !== 'number' || !QUEUE_CLASSES.includes(item.class) || !Array.isArray(item.peers)) throw new Error('bad item')
  }
  return s
}

export class TransferQueue {
  readonly #fs: FileSystem
  readonly #path: string
  #state: QueueState

  private constructor (fs: FileSystem, path: string, state: QueueState) {
    this.#fs = fs
    this.#path = path
    this.#state = state
  }

  static async open (fs: FileSystem, gasDir: string): Promise<TransferQueue> {
    const path = join(gasDir, FILE)
    let text: string
    try {
      text = await fs.readFile(path, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new TransferQueue(fs, path, empty())
      throw fromFsError(err, `.gas/${FILE}`)
    }
    try {
      return new TransferQueue(fs, path, checkState(JSON.parse(text)))
    } catch {
      throw new GasError('E_CORRUPT_OBJECT', `.gas/${FILE} is damaged; remove it and run \`gas sync\` to queue again what is missing`)
    }
  }

  get paused (): boolean {
    return this.#state.paused
  }

  /** Queued items, most urgent first. */
  list (): QueueItem[] {
    return [...this.#state.items].sort(compareQueued)
  }

  /** Adds items; one already queued keeps the stronger class and the union of peers. */
  async add (items: QueueItem[]): Promise<void> {
    const byId = new Map(this.#state.items.map((item) => [item.id, item]))
    for (const item of items) {
      const old = byId.get(item.id)
      if (old === undefined) byId.set(item.id, { ...item, peers: [...new Set(item.peers)] })
      else {
        const cls = strongerClass(old.class, item.class)
        byId.set(item.id, { ...old, class: cls, deadline: cls === 'deadline' ? earliest(old.deadline, item.deadline) : old.deadline, peers: [...new Set([...old.peers, ...item.peers])] })
      }
    }
    await this.#save({ ...this.#state, items: [...byId.values()] })
  }

  /** Drops items that arrived (or are no longer wanted). */
  async remove (ids: Iterable<string>): Promise<void> {
    const gone = new Set(ids)
    if (!this.#state.items.some((item) => gone.has(item.id))) return
    await this.#save({ ...this.#state, items: this.#state.items.filter((item) => !gone.has(item.id)) })
  }

  /**
   * Moves the items whose path is `target` (or lies under it) or whose id starts with it to the
   * front: `waiting`, or `deadline` with `by`. Returns them; E_NOT_FOUND when none matches.
   */
  async prioritize (target: string, by?: string): Promise<QueueItem[]> {
    if (by !== undefined && Number.isNaN(Date.parse(by))) throw new GasError('E_BAD_SCHEDULE', `--by "${by}" is not an ISO 8601 time (like 2026-12-01T09:00:00+01:00)`)
    const clean = target.replace(/\/+$/, '')
    const matches = (item: QueueItem): boolean => item.path === clean || item.path.startsWith(`${clean}/`) || (clean.length >= 4 && item.id.startsWith(clean))
    const hit = this.#state.items.filter(matches)
    if (hit.length === 0) throw GasError.notFound(`queued transfer "${target}"`)
    const updated = hit.map((item) => by === undefined ? { ...item, class: 'waiting' as const } : { ...item, class: strongerClass(item.class, 'deadline'), deadline: earliest(item.deadline, new Date(Date.parse(by)).toISOString()) })
    const byId = new Map(updated.map((item) => [item.id, item]))
    await this.#save({ ...this.#state, items: this.#state.items.map((item) => byId.get(item.id) ?? item) })
    return updated
  }

  async setPaused (paused: boolean): Promise<void> {
    await this.#save({ ...this.#state, paused })
  }

  /** Reads the file again: another process (`gas queue pause`, a sync) may have changed it. */
  async reload (): Promise<void> {
    this.#state = (await TransferQueue.open(this.#fs, join(this.#path, '..'))).#state
  }

  async #save (state: QueueState): Promise<void> {
    const tmp = `${this.#path}.${randomBytes(6).toString('hex')}.tmp`
    try {
      await this.#fs.writeFile(tmp, JSON.stringify(state, null, 1))
      await this.#fs.rename(tmp, this.#path)
    } catch (err) {
      await this.#fs.rm(tmp, { force: true }).catch(() => {})
      throw fromFsError(err, `.gas/${FILE}`)
    }
    this.#state = state
  }
}

function earliest (a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b
  if (b === undefined) return a
  return Date.parse(a) <= Date.parse(b) ? a : b
}
