import { createHash } from 'node:crypto'
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path'
import { createRequire } from 'node:module'
import { GasError, fromFsError } from '../errors.js'
import type { Asset } from '../objects/asset.js'
import { writeFileAtomic } from '../objects/atomic-write.js'
import { realFs, type FileSystem } from '../objects/fs.js'
import type { ObjectId } from '../objects/id.js'
import type { ObjectStore } from '../objects/store.js'
import type { AuthorTime } from '../objects/version.js'
import { FileStore } from '../pack/file-store.js'
import { RefStore } from '../refs/ref-store.js'
import { withWorkspaceLock } from './workspace-lock.js'
import { defaultConfig, parseConfig, type WorkspaceConfig } from './config.js'
import { createIdentity, type Identity } from './identity.js'

export interface Clock { now (): number }
export const systemClock: Clock = { now: () => Date.now() }

/** Generates preview objects for one staged asset; wired in by the public API (previews sit above repo). */
export type Previewer = ((absolutePath: string, asset: Asset, store: ObjectStore, previous?: Asset) => Promise<ObjectId[]>) & {
  /** Optional: starts the preview early (in a worker) so it runs while the content is chunked. */
  prepare?: (absolutePath: string, kind: string, format: string, bytes?: number) => void
  /** Optional: starts the preview workers (they load their decoders) while the caller walks the folders. */
  warm?: () => void
  /** Optional: kinds whose previews need no worker (a file of only these kinds does not warm them). */
  inThreadKinds?: ReadonlySet<string>
}

export interface WorkspaceOptions {
  fs?: FileSystem
  clock?: Clock
  previewer?: Previewer
  /** how long a command waits for another process's workspace lock before E_LOCKED (default LOCK_WAIT_MS) */
  lockWaitMs?: number
}

export const GAS_DIR = '.gas'

/**
 * why lazy: date-fns-tz probes Intl time-zone support when loaded (tens of ms of ICU start-up);
 * only commands that write a version need it, and authorTime is synchronous, hence require.
 */
const requireHere = createRequire(import.meta.url)
const timezoneOffset = (timeZone: string, at: Date): number => (requireHere('date-fns-tz/getTimezoneOffset') as { getTimezoneOffset: (tz: string, d: Date) => number }).getTimezoneOffset(timeZone, at)

/** A folder with a .gas store: the objects, refs, config and member identity of one workspace. */
export class Workspace {
  private constructor (
    readonly root: string,
    readonly fs: FileSystem,
    readonly store: FileStore,
    readonly refs: RefStore,
    public config: WorkspaceConfig,
    readonly identity: Identity,
    readonly clock: Clock,
    readonly previewer: Previewer | undefined,
    readonly lockWaitMs: number | undefined
  ) {}

  get gasDir (): string {
    return join(this.root, GAS_DIR)
  }

  static async init (opts: { dir: string, name?: string, team?: string } & WorkspaceOptions): Promise<Workspace> {
    const fs = opts.fs ?? realFs
    const root = resolve(opts.dir)
    const gasDir = join(root, GAS_DIR)
    try {
      await fs.stat(join(gasDir, 'config.json'))
      throw new GasError('E_ALREADY_EXISTS', `${root} is already a gas workspace`, { path: root })
    } catch (err) {
      if (err instanceof GasError) throw err
    }
    const timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone ?? 'UTC'
    const identity = createIdentity(opts.name ?? process.env.USER ?? 'member')
    const config = defaultConfig(timeZone)
    try {
      await fs.mkdir(join(gasDir, 'objects', 'pack'), { recursive: true })
      await fs.mkdir(join(gasDir, 'refs', 'heads'), { recursive: true })
      await fs.mkdir(join(gasDir, 'refs', 'tags'), { recursive: true })
      await fs.writeFile(join(gasDir, 'identity.json'), JSON.stringify(identity, null, 2), { mode: 0o600 })
      if (opts.team !== undefined) {
        const rootKey = createIdentity(`${opts.team} root`)
        await fs.writeFile(join(gasDir, 'team-root.json'), JSON.stringify(rootKey, null, 2), { mode: 0o600 })
        const id = createHash('sha256').update(`gas-team:${rootKey.publicKey}`).digest('hex').slice(0, 40)
        config.team = { id, name: opts.team, rootPublicKey: rootKey.publicKey }
        config.roles = ['lead']
      }
      // config.json last: its presence is what makes the folder a workspace.
      await fs.writeFile(join(gasDir, 'config.json'), JSON.stringify(config, null, 2))
    } catch (err) {
      throw fromFsError(err, gasDir)
    }
    return await Workspace.open({ ...opts, dir: root })
  }

  /** Opens the workspace holding `dir` (searching upward, like git). */
  static async open (opts: { dir: string } & WorkspaceOptions): Promise<Workspace> {
    const fs = opts.fs ?? realFs
    let root = resolve(opts.dir)
    for (;;) {
      try {
        await fs.stat(join(root, GAS_DIR, 'config.json'))
        break
      } catch {
        const parent = dirname(root)
        if (parent === root) throw new GasError('E_NOT_A_WORKSPACE', `not inside a gas workspace (${resolve(opts.dir)}); run \`gas init\` first`)
        root = parent
      }
    }
    const gasDir = join(root, GAS_DIR)
    const config = parseConfig(await fs.readFile(join(gasDir, 'config.json'), 'utf8'), join(gasDir, 'config.json'))
    const identity = JSON.parse(await fs.readFile(join(gasDir, 'identity.json'), 'utf8')) as Identity
    const store = await FileStore.open(join(gasDir, 'objects'), fs)
    return new Workspace(root, fs, store, new RefStore(fs, gasDir), config, identity, opts.clock ?? systemClock, opts.previewer, opts.lockWaitMs)
  }

  async saveConfig (): Promise<void> {
    const path = join(this.gasDir, 'config.json')
    await writeFileAtomic(this.fs, path, JSON.stringify(this.config, null, 2))
  }

  /**
   * Runs `fn` holding the workspace lock (see workspace-lock.ts): for everything that changes the
   * staging index, the branch or the workspace files. Re-entrant within one async call chain.
   */
  async withLock<T> (fn: () => Promise<T>, command?: string): Promise<T> {
    return await withWorkspaceLock(this.fs, this.gasDir, { command, waitMs: this.lockWaitMs }, fn)
  }

  get branchRef (): string {
    return `refs/heads/${this.config.branch}`
  }

  async head (): Promise<ObjectId | undefined> {
    return await this.refs.read(this.branchRef)
  }

  /** Workspace-relative, '/'-separated path of a user's argument (relative to `cwd`, default the root); refuses anything outside. */
  relativePath (userPath: string, cwd = this.root): string {
    const abs = isAbsolute(userPath) ? resolve(userPath) : resolve(cwd, userPath)
    const rel = relative(this.root, abs)
    if (rel.startsWith('..') || isAbsolute(rel)) throw new GasError('E_PATH_ESCAPE', `${userPath} is outside the workspace ${this.root}`, { path: userPath })
    const posix = rel.split(sep).join('/')
    if (posix === GAS_DIR || posix.startsWith(`${GAS_DIR}/`)) throw new GasError('E_PATH_ESCAPE', `${userPath} is inside the store itself`, { path: userPath })
    return posix
  }

  absolutePath (relPath: string): string {
    return join(this.root, ...relPath.split('/'))
  }

  authorTime (): AuthorTime {
    const ms = this.clock.now()
    const offset = timezoneOffset(this.config.timeZone, new Date(ms))
    return { seconds: Math.floor(ms / 1000), offsetMinutes: Number.isFinite(offset) ? Math.round(offset / 60000) : 0, timeZone: this.config.timeZone }
  }

  get author (): { name: string, publicKey: string } {
    return { name: this.identity.name, publicKey: this.identity.publicKey }
  }

  async close (): Promise<void> {
    await this.store.closeAll()
  }
}
