import { GasError, isGasError } from '../../errors.js'
import type { ObjectId } from '../../objects/id.js'
import { LOOSE_WHEN_RECEIVED, type EncodedObject, type ObjectStore } from '../../objects/store.js'
import { ConcurrencyGate } from './concurrency-gate.js'
import { systemClock, type Clock } from '../../clock.js'
import type { DontHaveReason } from '../wire/messages.js'
import type { PeerSession, ReceivedBlock } from '../session/session.js'
import { addMember, ENDGAME_ITEMS, forget, newItem, nextRequest, removeMember, type Item, type Job, type Member } from './request-picker.js'
import { PeerWindow, UNKNOWN_SIZE_ESTIMATE } from '../session/want-manager.js'
import { hashReceived, type ReceivedHash } from './received-hasher.js'
import { closeStalled } from './stall-check.js'
import { FEED_LOW_WATER, MAX_PARALLEL_LOOSE_PUTS, MAX_VERIFY_BACKLOG_BYTES, PROGRESS_INTERVAL_MS, REQUEST_TIMEOUT_MS, STALL_CHECK_MS, STALL_TIMEOUT_MS, type DroppedPeer, type FetchOptions, type FetchResult, type SwarmOptions, type WantRequest } from './swarm-options.js'

/**
 * Fetches a set of objects from every connected peer at once (bitswap-like swarming):
 * - who has what comes from HAVE answers (`probe`) or is assumed and corrected by DONT_HAVE;
 * - each peer gets requests while its window (PeerWindow, sized to its own bandwidth-delay
 *   product) has room, so a slow peer holds few requests and never holds up the fast ones;
 * - among what a peer has, the highest priority goes first, then the rarest, then request order;
 * - when only the last few objects are left, idle peers request them too (end game) and the
 *   losers get a CANCEL;
 * - every object is verified by `store.putEncoded`; a peer whose bytes do not match their id is
 *   dropped, and what it had in flight is asked of the others.
 */

export { ENDGAME_ITEMS, SLOW_PEER_FACTOR } from './request-picker.js'
export { MAX_VERIFY_BACKLOG_BYTES, REQUEST_TIMEOUT_MS, STALL_TIMEOUT_MS, type DroppedPeer, type FetchOptions, type FetchResult, type SwarmOptions, type SwarmProgress, type WantRequest } from './swarm-options.js'

export class Swarm {
  readonly dropped: DroppedPeer[] = []
  readonly #store: ObjectStore
  readonly #clock: Clock
  readonly #opts: SwarmOptions
  readonly #members = new Map<PeerSession, Member>()
  #job: Job | undefined
  #putChain: Promise<void> = Promise.resolve()
  readonly #loosePuts = new ConcurrencyGate(MAX_PARALLEL_LOOSE_PUTS)
  #pumpScheduled = false
  #busy = false
  /** detach() came during a fetch */
  #detachWhenDone = false

  constructor (opts: SwarmOptions) {
    this.#opts = opts
    this.#store = opts.store
    this.#clock = opts.clock ?? systemClock
  }

  /** live peers */
  get peers (): PeerSession[] {
    return [...this.#members.values()].filter((m) => m.alive).map((m) => m.session)
  }

  /** the window of one peer, for figures and tests */
  windowOf (session: PeerSession): PeerWindow | undefined {
    return this.#members.get(session)?.window
  }

  addPeer (session: PeerSession): void {
    if (this.#members.has(session) || session.closed) return
    const m: Member = { session, window: new PeerWindow(this.#clock), alive: true, candidates: [], cursor: 0, dirty: false, asking: 0, lastHeard: this.#clock.now(), lastBytes: 0, unsubscribe: () => {} }
    this.#members.set(session, m)
    const offs = [
      session.onHave((ids) => this.#onHave(m, ids)),
      session.onDontHave((ids, reason) => this.#onDontHave(m, ids, reason)),
      session.onBlock((block) => this.#onBlock(m, block)),
      session.onClose((err) => this.#onClose(m, err))
    ]
    m.unsubscribe = () => { for (const off of offs) off() }
    if (this.#job !== undefined) this.#introduce(m, this.#job)
  }

  /**
   * Stops listening to every session (they stay open): for a swarm whose fetches are over while
   * its sessions go on (a serve's lock-record fetch before it takes a member's versions, a sync
   * that lingers or runs a second round). why: a swarm left listening counted, and held until its
   * put chain let go, every later block of those sessions. Called during a fetch (a sync that
   * failed elsewhere), it detaches once that fetch ends.
   */
  detach (): void {
    if (this.#busy) {
      this.#detachWhenDone = true
      return
    }
    for (const m of this.#members.values()) m.unsubscribe()
    this.#members.clear()
  }

  /** Fetches `wants` (those already stored are skipped) from every peer; one fetch at a time. */
  async fetch (wants: WantRequest[], opts: FetchOptions = {}): Promise<FetchResult> {
    if (this.#busy) throw GasError.badArgument('a swarm runs one fetch at a time')
    this.#busy = true
    try {
      return await this.#fetch(wants, opts)
    } finally {
      this.#busy = false
      if (this.#detachWhenDone) this.detach()
    }
  }

  async #fetch (wants: WantRequest[], opts: FetchOptions): Promise<FetchResult> {
    const items = new Map<ObjectId, Item>()
    let totalBytes = 0
    for (const want of wants) {
      if (items.has(want.id) || (opts.knownMissing !== true && await this.#store.has(want.id))) continue
      items.set(want.id, newItem(want, items.size))
      totalBytes += want.size ?? 0
    }
    const result: FetchResult = { objects: 0, bytes: 0, missing: [], denied: [], duplicates: 0 }
    if (items.size === 0 && opts.more === undefined) return result
    const stallMs = this.#opts.stallTimeoutMs ?? STALL_TIMEOUT_MS
    let cancelStall = (): void => {}
    const checkStalls = (): void => {
      closeStalled(this.#members.values(), this.#clock.now(), stallMs, this.#opts.requestTimeoutMs ?? REQUEST_TIMEOUT_MS)
      cancelStall = this.#clock.after(STALL_CHECK_MS, checkStalls)
    }
    try {
      return await new Promise<FetchResult>((resolve, reject) => {
        // why: with one peer there is no rarity to learn; probing would only cost a round trip
        const probe = opts.probe === true && this.peers.length > 1
        const job: Job = { items, probe, remaining: items.size, added: items.size, more: opts.more, fed: opts.more !== undefined, recentlyDone: new Set(), verifying: 0, verifyingBytes: 0, result, totalBytes, resolve, reject, lastProgress: -Infinity }
        this.#job = job
        for (const m of this.#members.values()) if (m.alive) this.#introduce(m, job)
        checkStalls()
        this.#pump()
      })
    } finally {
      cancelStall()
      this.#job = undefined
      for (const m of this.#members.values()) {
        m.candidates = []
        m.cursor = 0
        m.asking = 0
        m.window.clear()
      }
      await this.#putChain
      await this.#loosePuts.idle
      if (opts.flush !== false) await this.#store.flush()
    }
  }

  /** Tells a peer about the running fetch: probe it, or assume it has everything. */
  #introduce (m: Member, job: Job, open: Item[] = [...job.items.values()].filter((item) => !item.done)): void {
    if (open.length === 0) return
    if (!job.probe) {
      for (const item of open) {
        addMember(item.holders, m)
        m.candidates.push(item)
      }
      m.dirty = true
      return
    }
    for (const item of open) addMember(item.asking, m)
    m.asking += open.length
    m.lastHeard = this.#clock.now()
    m.session.want(open.map((item) => item.id), 'have', 0).catch(() => {})
  }

  #onHave (m: Member, ids: ObjectId[]): void {
    this.#heard(m)
    const job = this.#job
    if (job === undefined) return
    for (const id of ids) {
      const item = job.items.get(id)
      if (item === undefined || !removeMember(item.asking, m)) continue
      m.asking--
      if (item.done) continue
      addMember(item.holders, m)
      m.candidates.push(item)
      m.dirty = true
    }
    this.#schedulePump()
  }

  #onDontHave (m: Member, ids: ObjectId[], reason?: DontHaveReason): void {
    this.#heard(m)
    const job = this.#job
    if (job === undefined) return
    for (const id of ids) {
      const item = job.items.get(id)
      if (item === undefined) continue
      if (reason === 'access-denied') (item.deniedBy ??= []).push(m.session.name)
      if (removeMember(item.asking, m)) m.asking--
      removeMember(item.holders, m)
      if (removeMember(item.inFlight, m)) {
        m.window.dropped(id)
        this.#released(item)
      }
    }
    this.#schedulePump()
  }

  #onBlock (m: Member, block: ReceivedBlock): void {
    this.#heard(m)
    const job = this.#job
    const item = job?.items.get(block.id)
    if (job === undefined || item === undefined) {
      if (job?.recentlyDone.has(block.id) === true) job.result.duplicates++
      return block.release()
    }
    if (removeMember(item.inFlight, m)) m.window.completed(block.id, block.object.bytes.byteLength)
    if (item.done) {
      job.result.duplicates++
      return block.release()
    }
    item.verifying++
    job.verifying++
    job.verifyingBytes += block.object.bytes.byteLength
    // over the direct path hashing starts now, on another thread (received-hasher.ts); the put waits for its id
    // the CRC-32 of its pack entry comes along from the same pass over the bytes (the store checks its seed)
    const hashed = block.fast === true ? hashReceived(block.object, () => this.#store.receivedChecksumSeed?.(block.id, block.object)) : undefined
    const put = async (): Promise<void> => await this.#verify(job, m, item, block.object, hashed)
    // objects a store appends to its pack go through one chain (the pack writer appends in order);
    // versions and tags are files of their own, written several at a time
    if (!LOOSE_WHEN_RECEIVED.has(block.object.type)) this.#putChain = this.#putChain.then(put).finally(block.release)
    else void this.#loosePuts.run(put).catch(() => {}).finally(block.release) // #verify reports its own failures
    this.#schedulePump()
  }

  async #verify (job: Job, m: Member, item: Item, object: EncodedObject, hashed?: Promise<ReceivedHash | undefined>): Promise<void> {
    try {
      const digest = await hashed
      if (item.done) {
        job.result.duplicates++
        return
      }
      try {
        await this.#store.putEncoded(item.id, object, digest?.id, digest?.checksum)
      } catch (err) {
        if (!isGasError(err, 'E_CORRUPT_OBJECT')) {
          job.reject(err as Error)
          return
        }
        // the peer sent bytes that are not what it claimed: drop it, the others take over
        m.session.ledger.corruptObjects++
        m.session.close(err)
        return
      }
      // versions and tags are put side by side: an end-game duplicate may have finished first
      if (item.done) {
        job.result.duplicates++
        return
      }
      item.done = true
      if (job.fed) forget(job, item)
      const room = this.#opts.onStored?.(item.id, object)
      job.remaining--
      job.result.objects++
      job.result.bytes += object.bytes.byteLength
      for (const other of [...item.inFlight]) {
        other.window.dropped(item.id)
        other.session.cancel([item.id]).catch(() => {})
      }
      item.inFlight.length = 0
      this.#progress(job, job.remaining === 0)
      // why here: the put chain waits, so the peers' blocks wait in their bounded backlog, not in memory here
      await room
    } finally {
      item.verifying--
      job.verifying--
      job.verifyingBytes -= object.bytes.byteLength
      if (!item.done && item.verifying === 0) this.#released(item)
      this.#schedulePump()
    }
  }

  #onClose (m: Member, err?: GasError): void {
    if (!m.alive) return
    m.alive = false
    this.#members.delete(m.session)
    let owed = false
    const job = this.#job
    if (job !== undefined) {
      for (const item of job.items.values()) {
        removeMember(item.holders, m)
        if (removeMember(item.asking, m)) owed = true
        if (removeMember(item.inFlight, m)) {
          owed = true
          this.#released(item)
        }
      }
    }
    // why: a peer that said it was done, owed us nothing and closed has left, not dropped: a sync
    // that met ours and finished first closes its connection as its process ends (reported as "the
    // transfer resumes when a peer is reachable again", about nothing). A peer we closed is dropped.
    const left = err?.code === 'E_PEER_LOST' && m.session.remoteDone && !owed
    if (err !== undefined && !left) this.dropped.push({ peer: m.session.name, code: err.code, message: err.message })
    m.window.clear()
    this.#schedulePump()
  }

  /** An item is no longer in flight at some peer without being done: its holders may pick it again. */
  #released (item: Item): void {
    for (const holder of item.holders) holder.dirty = true
  }

  #heard (m: Member): void {
    m.lastHeard = this.#clock.now()
  }

  #schedulePump (): void {
    if (this.#pumpScheduled) return
    this.#pumpScheduled = true
    // why: HAVE batches and blocks arrive in bursts; one pass after the burst sorts and requests once
    setImmediate(() => {
      this.#pumpScheduled = false
      this.#pump()
    })
  }

  #pump (): void {
    const job = this.#job
    if (job === undefined) return
    if (job.remaining === 0 && job.more !== undefined) this.#feed(job)
    if (job.remaining === 0) {
      job.resolve(job.result)
      return
    }
    let busy = job.verifying > 0
    const diskBound = job.verifyingBytes > MAX_VERIFY_BACKLOG_BYTES
    for (const m of this.#members.values()) {
      if (!m.alive) continue
      if (diskBound) {
        if (m.window.inFlightCount > 0 || m.asking > 0) busy = true
        continue
      }
      if (!m.window.wantsRefill()) {
        busy = true
        continue
      }
      const batches = new Map<number, ObjectId[]>()
      for (let item = nextRequest(m, job, this.#opts.endGameItems ?? ENDGAME_ITEMS); item !== undefined; item = nextRequest(m, job, this.#opts.endGameItems ?? ENDGAME_ITEMS)) {
        addMember(item.inFlight, m)
        m.window.requested(item.id, item.size ?? UNKNOWN_SIZE_ESTIMATE)
        const batch = batches.get(item.priority)
        if (batch === undefined) batches.set(item.priority, [item.id])
        else batch.push(item.id)
      }
      for (const [priority, ids] of batches) m.session.want(ids, 'block', priority).catch(() => {})
      if (m.window.inFlightCount > 0 || m.asking > 0) busy = true
    }
    // after this pass's requests left: a feed is bookkeeping the link need not wait for; when
    // nothing is busy, nobody has what is left in play, and the next wants may still be had
    if (job.more !== undefined && (!busy || job.remaining <= FEED_LOW_WATER)) {
      this.#feed(job)
      return this.#schedulePump()
    }
    if (!busy) {
      // nothing in flight, nothing being verified, no answer awaited: what is left, nobody has
      job.result.missing = []
      job.result.denied = []
      for (const item of job.items.values()) {
        if (item.done) continue
        if (item.deniedBy === undefined) job.result.missing.push(item.id)
        else job.result.denied.push({ id: item.id, peers: [...new Set(item.deniedBy)] })
      }
      job.resolve(job.result)
    }
  }

  /** The next wants of a fetch fed as it goes (FetchOptions.more) join the job and go to every peer. */
  #feed (job: Job): void {
    const wants = job.more?.() ?? []
    if (wants.length === 0) job.more = undefined
    const fresh: Item[] = []
    for (const want of wants) {
      if (job.items.has(want.id)) continue
      const item = newItem(want, job.added++)
      job.items.set(want.id, item)
      job.totalBytes += want.size ?? 0
      job.remaining++
      fresh.push(item)
    }
    for (const m of this.#members.values()) if (m.alive) this.#introduce(m, job, fresh)
  }

  #progress (job: Job, force: boolean): void {
    const cb = this.#opts.onProgress
    if (cb === undefined) return
    const t = this.#clock.now()
    if (!force && t - job.lastProgress < PROGRESS_INTERVAL_MS) return
    job.lastProgress = t
    cb({ objects: job.result.objects, bytes: job.result.bytes, totalObjects: job.added, totalBytes: job.totalBytes, peers: this.peers.length })
  }
}

