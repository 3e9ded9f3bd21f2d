import { AsyncLocalStorage } from 'node:async_hooks'
import { randomBytes } from 'node:crypto'
import { basename, join } from 'node:path'
import { GasError, fromFsError } from '../errors.js'
import type { FileSystem } from '../objects/fs.js'
import { isProcessAlive } from '../objects/process-alive.js'

/**
 * .gas/workspace.lock, as git's index.lock: a command that changes the staging index, the branch
 * or the workspace files holds it while it reads, decides and writes, so two of them (two
 * terminals, an editor plugin and a person) never both write from the same stale read. Readers
 * (serve, log, the fetching part of sync) never take it.
 */
export const WORKSPACE_LOCK = 'workspace.lock'
/** why: commands hold the lock for milliseconds (add ingests before taking it), so a short wait covers a neighbour's write; then the user is told who holds it */
export const LOCK_WAIT_MS = 5000
const POLL_MS = 25
/** why: a lock or breaker file with no readable holder is one being written right now, or one whose writer was killed in that instant; only the latter is this old */
const UNREADABLE_STALE_MS = 2000

export interface LockHolder { pid: number, command: string, since: string, nonce: string }

export interface LockOptions {
  /** what the holder does, shown to whoever waits ("gas add big.psd") */
  command?: string
  waitMs?: number
  /** the lock file in the .gas folder (default WORKSPACE_LOCK; `gas serve` holds SERVE_LOCK, serve-lock.ts) */
  file?: string
  sleep?: (ms: number) => Promise<void>
  now?: () => number
}

/** the lock files this async call chain holds: a nested call (a merge that checks out and commits) goes on without taking it again */
const held = new AsyncLocalStorage<ReadonlySet<string>>()
/** per lock file, the tail of this process's queue: callers of one process wait their turn here, not by polling the file */
const queues = new Map<string, Promise<void>>()

/** The command line of this process as a user would type it */
export function commandLine (): string {
  const script = basename(process.argv[1] ?? 'node')
  return [script === 'gas' || script === 'main.js' ? 'gas' : script, ...process.argv.slice(2)].join(' ')
}

/**
 * Runs `fn` holding the workspace lock of `gasDir`. Re-entrant within one async call chain (a
 * merge that checks out and commits takes it once); concurrent calls of one process queue. A lock
 * whose process is gone is taken over; a live holder is waited for up to `waitMs`, then E_LOCKED
 * names its pid and command.
 */
export async function withWorkspaceLock<T> (fs: FileSystem, gasDir: string, opts: LockOptions, fn: () => Promise<T>): Promise<T> {
  const path = join(gasDir, WORKSPACE_LOCK)
  const mine = held.getStore() ?? new Set<string>()
  if (mine.has(path)) return await fn()
  const before = queues.get(path) ?? Promise.resolve()
  let done!: () => void
  const turn = new Promise<void>((resolve) => { done = resolve })
  const tail = before.then(async () => await turn)
  queues.set(path, tail)
  try {
    await before
    const release = await acquireWorkspaceLock(fs, gasDir, opts)
    try {
      return await held.run(new Set([...mine, path]), fn)
    } finally {
      await release()
    }
  } finally {
    done()
    if (queues.get(path) === tail) queues.delete(path)
  }
}

export async function acquireWorkspaceLock (fs: FileSystem, gasDir: string, opts: LockOptions = {}): Promise<() => Promise<void>> {
  const path = join(gasDir, opts.file ?? WORKSPACE_LOCK)
  const now = opts.now ?? Date.now
  const sleep = opts.sleep ?? (async (ms: number) => await new Promise((resolve) => setTimeout(resolve, ms)))
  const me: LockHolder = { pid: process.pid, command: opts.command ?? commandLine(), since: new Date(now()).toISOString(), nonce: randomBytes(8).toString('hex') }
  const text = JSON.stringify(me)
  const deadline = now() + (opts.waitMs ?? LOCK_WAIT_MS)
  for (;;) {
    try {
      await fs.writeFile(path, text, { flag: 'wx' })
      return async () => { await removeIfOurs(fs, path, text) }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw fromFsError(err, path)
    }
    const holderText = await readHolderText(fs, path)
    if (holderText === undefined) continue // released meanwhile
    const holder = parseHolder(holderText)
    if (holder === undefined ? await olderThan(fs, path, UNREADABLE_STALE_MS, now) : !isProcessAlive(holder.pid)) {
      await takeOver(fs, path, holderText)
      continue
    }
    if (now() >= deadline) {
      if (holder === undefined) throw new GasError('E_LOCKED', `the workspace is locked (${path} names no holder yet); retry`, { path })
      throw new GasError('E_LOCKED', `the workspace is locked by pid ${holder.pid} (${holder.command}) since ${holder.since}; retry when it has finished (a lock of a process that is gone is taken over by itself)`,
        { pid: holder.pid, command: holder.command, since: holder.since, path })
    }
    await sleep(POLL_MS)
  }
}

/**
 * The lock file's text; undefined when it is gone (released meanwhile). why not every error as
 * "gone": a lock path that is a directory (or unreadable) made the loop spin forever at full CPU.
 */
async function readHolderText (fs: FileSystem, path: string): Promise<string | undefined> {
  try {
    return await fs.readFile(path, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return undefined
    throw new GasError('E_IO', `${path} cannot be read as a lock (${code ?? String(err)}): if no gas command is running here, remove it`, { path })
  }
}

function parseHolder (text: string): LockHolder | undefined {
  try {
    const value = JSON.parse(text) as LockHolder
    return Number.isSafeInteger(value.pid) ? value : undefined
  } catch {
    // a holder killed between creating the file and writing it: empty or partial
    return undefined
  }
}

/**
 * Removes a dead holder's lock, under a short-lived breaker lock so two processes that both saw
 * the same stale lock cannot both remove it (the second would remove the first one's new lock).
 * The lock is removed only if it still holds exactly the stale text seen.
 */
async function takeOver (fs: FileSystem, path: string, staleText: string): Promise<void> {
  const breaker = `${path}.break`
  const mine = String(process.pid)
  try {
    await fs.writeFile(breaker, mine, { flag: 'wx' })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw fromFsError(err, breaker)
    // a breaker left by a process killed while taking over is removed; a live one is let finish
    const breakerPid = Number(await fs.readFile(breaker, 'utf8').catch(() => ''))
    const stale = breakerPid > 0 ? !isProcessAlive(breakerPid) : await olderThan(fs, breaker, UNREADABLE_STALE_MS, Date.now)
    if (stale) await fs.rm(breaker, { force: true }).catch(() => {})
    return
  }
  try {
    const now = await fs.readFile(path, 'utf8').catch(() => undefined)
    if (now === staleText) await fs.rm(path, { force: true })
  } finally {
    await fs.rm(breaker, { force: true }).catch(() => {})
  }
}

async function olderThan (fs: FileSystem, path: string, ms: number, now: () => number): Promise<boolean> {
  const st = await fs.stat(path).catch(() => undefined)
  return st !== undefined && now() - st.mtimeMs > ms
}

async function removeIfOurs (fs: FileSystem, path: string, text: string): Promise<void> {
  const now = await fs.readFile(path, 'utf8').catch(() => undefined)
  if (now === text) await fs.rm(path, { force: true }).catch(() => {})
}

/** Who holds the lock now, if anyone (for `gas status` and tests) */
export async function lockHolder (fs: FileSystem, gasDir: string, file = WORKSPACE_LOCK): Promise<LockHolder | undefined> {
  const text = await fs.readFile(join(gasDir, file), 'utf8').catch(() => undefined)
  return text === undefined ? undefined : parseHolder(text)
}
