import { dirname, join } from 'node:path'
import { GasError, fromFsError } from '../errors.js'
import { writeFileAtomic } from '../objects/atomic-write.js'
import type { FileSystem } from '../objects/fs.js'
import { isObjectId, type ObjectId } from '../objects/id.js'
import { isProcessAlive } from '../objects/process-alive.js'
import { checkRefName } from './ref-name.js'
import { appendReflog } from './reflog.js'

export interface RefUpdate {
  name: string
  /** null deletes the ref */
  newId: ObjectId | null
  /** compare-and-swap: the id the ref must hold now (null: must not exist); undefined skips the check */
  expectedOld?: ObjectId | null
  message: string
  who: string
  now: number
}

/**
 * refs/heads, refs/tags, refs/builds, refs/locks, refs/remotes as one file each, like git's loose refs.
 * Updates take a lock file, compare, write a temporary file and rename it: atomic and CAS.
 */
export class RefStore {
  constructor (private readonly fs: FileSystem, readonly gasDir: string) {}

  private pathOf (name: string): string {
    return join(this.gasDir, checkRefName(name))
  }

  async read (name: string): Promise<ObjectId | undefined> {
    let text: string
    try {
      text = (await this.fs.readFile(this.pathOf(name), 'utf8')).trim()
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return undefined
      throw fromFsError(err, name)
    }
    if (!isObjectId(text)) throw new GasError('E_CORRUPT_OBJECT', `ref ${name} holds "${String(text).slice(0, 80)}", not an object id`, { name })
    return text
  }

  async list (prefix = 'refs/'): Promise<Array<{ name: string, id: ObjectId }>> {
    const out: Array<{ name: string, id: ObjectId }> = []
    const walk = async (rel: string): Promise<void> => {
      let names: string[]
      try {
        names = await this.fs.readdir(join(this.gasDir, rel))
      } catch {
        return
      }
      for (const n of names.sort()) {
        const child = `${rel}/${n}`
        if (n.endsWith('.lock') || n.includes('.tmp-')) continue
        const st = await this.fs.stat(join(this.gasDir, child))
        if (st.isDirectory()) await walk(child)
        else if (child.startsWith(prefix)) {
          const id = await this.read(child)
          if (id !== undefined) out.push({ name: child, id })
        }
      }
    }
    await walk('refs')
    return out
  }

  async update (u: RefUpdate): Promise<void> {
    const path = this.pathOf(u.name)
    const lock = `${path}.lock`
    await this.fs.mkdir(dirname(path), { recursive: true })
    await this.takeLock(lock, u.name)
    try {
      const current = await this.read(u.name)
      if (u.expectedOld !== undefined && (current ?? null) !== u.expectedOld) {
        throw new GasError('E_REF_CONFLICT', `${u.name} moved (now ${current ?? 'absent'}, expected ${u.expectedOld ?? 'absent'}); fetch or merge and retry`, { name: u.name, current: current ?? null })
      }
      if (u.newId === null) {
        await this.fs.rm(path, { force: true })
      } else {
        await writeFileAtomic(this.fs, path, `${u.newId}\n`)
      }
      await appendReflog(this.fs, this.gasDir, { ref: u.name, old: current ?? null, new: u.newId, who: u.who, time: u.now, message: u.message })
    } finally {
      await this.fs.rm(lock, { force: true }).catch(() => {})
    }
  }

  /** A lock left by a killed process is taken over; one held by a live process is an E_LOCKED error. */
  private async takeLock (lock: string, name: string): Promise<void> {
    for (let attempt = 0; attempt < 50; attempt++) {
      try {
        await this.fs.writeFile(lock, String(process.pid), { flag: 'wx' })
        return
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw fromFsError(err, lock)
      }
      const holder = Number(await this.fs.readFile(lock, 'utf8').catch(() => ''))
      if (!isProcessAlive(holder)) await this.fs.rm(lock, { force: true })
      else await new Promise((resolve) => setTimeout(resolve, 20))
    }
    throw new GasError('E_LOCKED', `${name} is being updated by another gas process; retry`, { name })
  }
}
