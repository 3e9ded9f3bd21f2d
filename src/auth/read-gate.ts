import { systemClock, type Clock } from '../clock.js'
import type { ObjectId, ObjectType } from '../objects/id.js'
import type { ObjectStore } from '../objects/store.js'
import type { HelloMessage } from '../peer/wire/messages.js'
import type { ServeVerdict } from '../peer/session/session-options.js'
import type { RefStore } from '../refs/ref-store.js'
import { LOCK_REF_PREFIX } from '../refs/lock-ref.js'
import { buildReadIndex, type ReadIndex } from './read-index.js'
import { readIndexKey, type ReadIndexCache } from './read-index-cache.js'
import { RoleReader, type ReadPolicy } from './read-rights.js'

/**
 * A serving peer's read check: for each object a remote asks for, whether its roles may read it
 * (see read-index.ts for what that means for shared chunks). The index is built once per (policy,
 * roles, refs) and shared by every session of those roles; a WANT costs a set lookup.
 *
 * The refs are looked at again at most every `recheckMs`, when an object is asked for: a commit,
 * a sync or a new team policy (a ref too) then rebuilds the index, so a chunk of a version that
 * appeared a moment ago is not refused for good, and a tightened policy applies within that time.
 */

/** why: listing refs is a few file reads; once a second bounds both the staleness and the cost of a flood of WANTs */
export const READ_RECHECK_MS = 1_000

export interface ReadGateOptions {
  store: ObjectStore
  refs: RefStore
  /** the read rules now (the team policy's read section); undefined: everyone reads everything */
  policy: () => Promise<ReadPolicy | undefined>
  clock?: Clock
  recheckMs?: number
  /**
   * The roles of the newest certificate this peer holds for a remote that proved its key, when it
   * supersedes the one the remote presented in HELLO (`gas team roles` elsewhere); undefined: the
   * HELLO certificate's. Asked again at most every `recheckMs` per session.
   */
  newerRoles?: (remote: HelloMessage) => Promise<readonly string[] | undefined>
  /** indexes kept across processes (read-index-cache.ts); without it each process builds its own */
  cache?: ReadIndexCache
}

/**
 * why: lock and team records name no content (they are served as metadata to every member), and
 * change at every lock or HELLO; left out, they do not rebuild the index.
 */
const NO_CONTENT_REFS = [LOCK_REF_PREFIX, 'refs/team/']
const NO_CONTENT_TYPES: ReadonlySet<ObjectType> = new Set<ObjectType>(['lock', 'team'])

interface RemoteRoles { roles: readonly string[], checkedAt: number }
const NO_ROLES: readonly string[] = []

interface RoleState {
  reader: RoleReader
  /** the refs the index was built from */
  refsKey: string
  index: Promise<ReadIndex> | undefined
  /** the index once built */
  built: ReadIndex | undefined
}

function answer (index: ReadIndex, id: ObjectId, type: ObjectType | undefined): true | ServeVerdict | undefined {
  if (index.hidden.has(id)) return 'access-denied'
  if (type !== undefined && type !== 'chunk') return true
  if (index.chunks.has(id) || (type === undefined && index.metadata.has(id))) return true
  return undefined
}

export class ReadGate {
  readonly #opts: ReadGateOptions
  readonly #clock: Clock
  #checkedAt = -Infinity
  #checking: Promise<void> | undefined
  #refsKey = ''
  #roots: ObjectId[] = []
  #policy: ReadPolicy | undefined
  readonly #byRoles = new Map<string, RoleState>()
  #lastRoles: readonly string[] | undefined
  #lastRolesKey = ''
  /** per session's HELLO (the object is the session's own for its lifetime) */
  readonly #remoteRoles = new WeakMap<HelloMessage, RemoteRoles>()
  /** indexes built, for tests and figures */
  builds = 0

  constructor (opts: ReadGateOptions) {
    this.#opts = opts
    this.#clock = opts.clock ?? systemClock
  }

  /**
   * The session hook (SessionOptions.mayServe). why: this runs for every object served (16 000 for
   * 1 GiB), so when the roles, the refs and the index are all at hand it answers without an await;
   * otherwise it takes the asynchronous path, which looks again and may build the index.
   */
  readonly mayServe = (id: ObjectId, remote: HelloMessage, type?: ObjectType): true | ServeVerdict | Promise<true | ServeVerdict> => {
    const roles = this.#rolesNow(remote)
    if (roles !== undefined) {
      const now = this.#verdictNow(id, roles, type)
      if (now !== undefined) return now
    }
    return this.#mayServeLater(id, remote, type)
  }

  async #mayServeLater (id: ObjectId, remote: HelloMessage, type?: ObjectType): Promise<true | ServeVerdict> {
    return await this.verdict(id, this.#rolesNow(remote) ?? await this.#refreshRoles(remote), type)
  }

  /** the remote's roles when known and fresh; undefined: ask (refreshRoles) */
  #rolesNow (remote: HelloMessage): readonly string[] | undefined {
    if (remote.certificate === null) return NO_ROLES
    if (this.#opts.newerRoles === undefined) return rolesOf(remote)
    const held = this.#remoteRoles.get(remote)
    if (held === undefined || this.#clock.now() - held.checkedAt >= (this.#opts.recheckMs ?? READ_RECHECK_MS)) return undefined
    return held.roles
  }

  async #refreshRoles (remote: HelloMessage): Promise<readonly string[]> {
    const newer = await this.#opts.newerRoles?.(remote)
    const held = this.#remoteRoles.get(remote)
    const proven = newer ?? rolesOf(remote)
    // why: the same array while the roles do not change, so #stateFor's identity check keeps its shortcut
    const roles = held !== undefined && sameRoles(held.roles, proven) ? held.roles : proven
    this.#remoteRoles.set(remote, { roles, checkedAt: this.#clock.now() })
    return roles
  }

  /** The verdict from what is at hand, or undefined when the refs, the policy or the index must be looked at first. */
  #verdictNow (id: ObjectId, roles: readonly string[], type?: ObjectType): true | ServeVerdict | undefined {
    if (this.#clock.now() - this.#checkedAt >= (this.#opts.recheckMs ?? READ_RECHECK_MS)) return undefined
    const policy = this.#policy
    if (policy === undefined) return true
    const state = this.#stateFor(policy, roles)
    if (state.reader.readsEverything) return true
    if (type !== undefined && type !== 'chunk' && !state.reader.hidesMetadata) {
      // metadata flows; the index is built meanwhile (see verdict)
      if (state.index === undefined || state.refsKey !== this.#refsKey) this.#indexOf(state).catch(() => {})
      return true
    }
    if (state.built === undefined || state.refsKey !== this.#refsKey) return undefined
    return answer(state.built, id, type)
  }

  /**
   * true: serve it; 'access-denied': the roles may not read it. `type` is the object's when known
   * (what a WANT for a block serves); a HAVE question comes without it.
   */
  async verdict (id: ObjectId, roles: readonly string[], type?: ObjectType): Promise<true | ServeVerdict> {
    // why: this runs for every object served (16 000 for 1 GiB); the common path takes no await but the caller's
    if (this.#clock.now() - this.#checkedAt >= (this.#opts.recheckMs ?? READ_RECHECK_MS)) await this.#recheck()
    const policy = this.#policy
    if (policy === undefined) return true
    const state = this.#stateFor(policy, roles)
    if (state.reader.readsEverything) return true
    // metadata flows unless a rule for these roles withholds some; the index is built meanwhile,
    // while the requester walks versions and trees, so its first chunk does not wait for it
    if (type !== undefined && type !== 'chunk' && !state.reader.hidesMetadata) {
      if (state.index === undefined || state.refsKey !== this.#refsKey) this.#indexOf(state).catch(() => {})
      return true
    }
    const first = answer(state.built !== undefined && state.refsKey === this.#refsKey ? state.built : await this.#indexOf(state), id, type)
    if (first !== undefined) return first
    // not named by the refs we indexed: perhaps by refs that moved since (a commit a moment ago)
    await this.#recheck()
    const second = answer(await this.#indexOf(state), id, type)
    if (second !== undefined) return second
    // a lock or team record asked about by id (its refs are not indexed, see NO_CONTENT_REFS): metadata every member reads
    if (type === undefined && NO_CONTENT_TYPES.has((await this.#opts.store.get(id).catch(() => undefined))?.type ?? 'chunk')) return true
    return state.reader.readsUnlisted ? true : 'access-denied'
  }

  #stateFor (policy: ReadPolicy, roles: readonly string[]): RoleState {
    // why: a session asks with the same roles array every time; sorting and joining it per object would be most of the cost
    if (roles !== this.#lastRoles) {
      this.#lastRoles = roles
      this.#lastRolesKey = [...new Set(roles)].sort().join(',')
    }
    const key = `${policy.fingerprint}\0${this.#lastRolesKey}`
    let state = this.#byRoles.get(key)
    if (state === undefined) {
      state = { reader: new RoleReader(policy, roles), refsKey: '', index: undefined, built: undefined }
      this.#byRoles.set(key, state)
    }
    return state
  }

  #indexOf (state: RoleState): Promise<ReadIndex> {
    if (state.index === undefined || state.refsKey !== this.#refsKey) {
      state.refsKey = this.#refsKey
      state.built = undefined
      this.builds++
      const building = this.#loadOrBuild(state.reader, this.#refsKey, this.#roots)
      state.index = building
      building.then((index) => { if (state.index === building) state.built = index }, () => {
        // a failed build (a damaged object) is tried again by the next question, not cached
        if (state.index === building) state.index = undefined
      })
    }
    return state.index
  }

  async #loadOrBuild (reader: RoleReader, refsKey: string, roots: ObjectId[]): Promise<ReadIndex> {
    const cache = this.#opts.cache
    const key = cache === undefined ? '' : readIndexKey(reader.policy.fingerprint, reader.roles, refsKey)
    const cached = await cache?.load(key)
    if (cached !== undefined) return cached
    const index = await buildReadIndex(this.#opts.store, roots, reader)
    // why: an index of a partial store lacks what arrives later under the same refs; only a whole one is kept
    if (cache !== undefined && index.complete === true) void cache.save(key, index)
    return index
  }

  /** Looks at the refs (and the policy) again when the last look is older than recheckMs. */
  async #recheck (): Promise<void> {
    if (this.#clock.now() - this.#checkedAt < (this.#opts.recheckMs ?? READ_RECHECK_MS)) return
    this.#checking ??= (async () => {
      try {
        const refs = (await this.#opts.refs.list()).filter((r) => !NO_CONTENT_REFS.some((prefix) => r.name.startsWith(prefix))).sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
        const policy = await this.#opts.policy()
        const refsKey = refs.map((r) => `${r.name}=${r.id}`).join('\n')
        if (policy?.fingerprint !== this.#policy?.fingerprint) this.#byRoles.clear()
        this.#policy = policy
        if (refsKey !== this.#refsKey) {
          this.#refsKey = refsKey
          this.#roots = [...new Set(refs.map((r) => r.id))]
        }
        this.#checkedAt = this.#clock.now()
      } finally {
        this.#checking = undefined
      }
    })()
    await this.#checking
  }
}

/**
 * The roles a remote proved: its certificate's, which the session only holds once verified (an
 * unverified HELLO carries none we keep). No certificate: no role, so only rules for every member apply.
 */
export function rolesOf (remote: HelloMessage): string[] {
  return remote.certificate?.member.roles ?? []
}

function sameRoles (a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((role, i) => role === b[i])
}
