import { GasError, isGasError } from '../errors.js'
import type { TrackerReport } from '../peer/discovery/tracker-report.js'
import type { Asset } from '../objects/asset.js'
import type { ObjectId } from '../objects/id.js'
import { connectPeers, COUNTED_PEERS_WAIT_MS, type ConnectedPeers, type ConnectOptions, type PeerRoute } from '../peer/sync/connect-peers.js'
import { isAdvertisedRef, isTeamRef, type RemoteRef } from '../peer/sync/ref-exchange.js'
import type { PeerSession } from '../peer/session/session.js'
import { Swarm, type SwarmProgress } from '../peer/swarm/swarm.js'
import { type PeerSecurity } from '../peer/sync/sync-engine.js'
import { serveRepo } from '../peer/sync/serve-repo.js'
import type { Transport } from '../peer/transport/transport.js'
import { computeWantSet, type WantSet } from '../sync/want-set.js'
import { ObservedStore, type OnStored } from './observed-store.js'
import { MAX_METADATA_ROUNDS } from '../peer/sync/sync-engine.js'
import { linger, type WaitingTurn } from '../peer/sync/linger.js'
import { noPeerMaySend, peerWindowClosed } from '../peer/sync/peer-schedules.js'
import { formatWallClock } from '../repo/lock-format.js'
import { systemClock } from '../clock.js'
import { SYNC_LINGER_IDLE_MS } from '../peer/sync/sync-connected.js'

/**
 * One connection to the team's reachable peers, kept open for the life of a git-lfs agent or a git
 * remote helper: git-lfs asks for objects one at a time and a helper lists, then fetches, and
 * connecting again for each would cost a tracker round and a WebRTC handshake every time.
 * Written beside fetchFromPeers (src/peer/sync/peer-node.ts) rather than on it because that one closes
 * its sessions when it returns, and it does not hand back what the peers advertised, which is how
 * an LFS oid or a git repository is found.
 */

/** joins tried before concluding that no peer is online */
const CONNECT_ATTEMPTS = 2
/** why: the retry is for a peer that is there but missed the first announce; it answers within a second or two */
const RETRY_FIRST_PEER_WAIT_MS = 2_000
/**
 * why: git waits on the agent or the helper while a person waits on git; when the tracker says no
 * other member is online (a push before anyone else serves), waiting the full first-peer wait for
 * one to appear costs every push and ls-remote seconds for nothing
 */
export const ALONE_WAIT_MS = 1_000

/** connectPeers' options (the link connects through it), plus progress of the fetches */
export type PeerLinkOptions = Pick<ConnectOptions, 'ws' | 'trackers' | 'security' | 'rtcConfig' | 'firstPeerWaitMs' | 'morePeersWaitMs' | 'aloneWaitMs'> & {
  onProgress?: (progress: SwarmProgress) => void
}

/** The metadata of some roots, fetched: what content they still need */
export interface LinkMetadataResult extends LinkFetchResult {
  wantSet: WantSet
}

export interface LinkFetchResult {
  objects: number
  bytes: number
  /** wanted objects no peer provided (none asked when every peer is outside its transfer window: PeerLink.windowNote) */
  missing: ObjectId[]
}

/** A peer outside its transfer window: its windows as it wrote them, and when it may next send (null: never). */
interface ClosedWindow { peer: string, windows: string[], opens: number | null }

/** What a git command says when the peers' windows hold the content back: whose window, and when it opens. */
function closedWindowText (closed: ClosedWindow[], timeZone: string): string {
  const each = closed.map((c) => `${c.peer}'s transfer window is closed (${c.windows.length === 0 ? 'it has none' : c.windows.join(', ')}; ${c.opens === null ? 'no window opens' : `it opens ${formatWallClock(c.opens, timeZone)}`})`)
  return `${each.join('; ')}: run the command again then, or ask for a wider window (\`gas schedule\`)`
}

export class PeerLink {
  #connected: ConnectedPeers | undefined
  #sessions: PeerSession[] = []
  #swarm: Swarm | undefined
  /** the swarm stores through it: a content fetch may watch what arrives */
  #observed: ObservedStore
  #advertised = new Map<string, RemoteRef[]>()
  /** why the link has no peers, when it could not even try (no team, no tracker) */
  #unreachable: string | undefined
  #opening: Promise<void> | undefined
  #served: PeerSession[] = []
  #closing = false
  /** why each peer that answered left before the exchange of refs */
  #refusals: string[] = []
  #teamAdopted: Promise<void> | undefined
  /** the peers' windows that held back the last content fetch */
  #closed: ClosedWindow[] | undefined

  constructor (private readonly opts: PeerLinkOptions) {
    this.#observed = new ObservedStore(opts.ws.store)
  }

  /** Connects on first use; a workspace without a team or tracker gets a link with no peers. */
  async open (): Promise<void> {
    this.#opening ??= this.#open()
    await this.#opening
  }

  /**
   * A second look, for an object none of the connected peers has: when the trackers counted more
   * peers than are in the swarm (a handshake that outlasted the wait on a loaded machine, or one
   * that failed), joins again and waits for every counted peer (up to COUNTED_PEERS_WAIT_MS; it
   * ends as soon as they are in). False when there is no one else to wait for.
   */
  async widen (): Promise<boolean> {
    await this.open()
    const connected = this.#connected
    if (connected === undefined || this.#closing) return false
    const counted = Math.max(0, ...connected.trackers.map((t) => t.peers ?? 0))
    if (counted <= (this.#swarm?.peers.length ?? 0) + connected.ownProcesses) return false
    await this.#leave()
    this.#connected = undefined
    this.#sessions = []
    this.#advertised.clear()
    this.#teamAdopted = undefined
    this.#opening = this.#open(COUNTED_PEERS_WAIT_MS)
    await this.#opening
    return true
  }

  async #open (patienceMs?: number): Promise<void> {
    const { ws } = this.opts
    for (let attempt = 1; ; attempt++) {
      try {
        const firstPeerWaitMs = patienceMs ?? (attempt === 1 ? this.opts.firstPeerWaitMs : Math.min(RETRY_FIRST_PEER_WAIT_MS, this.opts.firstPeerWaitMs ?? RETRY_FIRST_PEER_WAIT_MS))
        this.#connected = await connectPeers({ aloneWaitMs: ALONE_WAIT_MS, ...this.opts, firstPeerWaitMs, onLateTransport: (transport) => this.#serveLate(transport) })
      } catch (err) {
        // why: joining right after another one-shot command of the same member left, the first
        // announce sometimes meets no peer at all (seen with fetchFromPeers too); a fresh join does
        if (isGasError(err, 'E_NO_PEERS') && attempt < CONNECT_ATTEMPTS && !nobodyElse(err)) continue
        if (!isGasError(err, 'E_BAD_ARGUMENT') && !isGasError(err, 'E_NO_PEERS')) throw err
        this.#unreachable = err.message
        return
      }
      break
    }
    // a copy: a handshake that finishes after the wait is added to connected.sessions, not to the swarm
    this.#sessions = [...this.#connected.sessions]
    if (process.env.GAS_DEBUG === '1') process.stderr.write(`peer-link: ${this.#sessions.length} session(s), dropped ${JSON.stringify(this.#connected.dropped)}\n`)
    this.#swarm = new Swarm({ store: this.#observed, onProgress: this.opts.onProgress })
    const ours = (await ws.refs.list()).filter((ref) => isAdvertisedRef(ref.name))
    await Promise.all(this.#sessions.map(async (session) => {
      try {
        await session.advertiseRefs(ours)
        this.#advertised.set(session.name, await session.waitRefs())
        this.#swarm?.addPeer(session)
      } catch (err) {
        // why kept: a peer that refuses us after the handshake (this member revoked meanwhile) is the answer to "why did nobody answer"
        this.#refusals.push(`${session.name}: ${err instanceof GasError ? `${err.code}: ` : ''}${(err as Error).message}`)
        session.close()
      }
    }))
  }

  /**
   * A peer that connected after the wait (another agent or helper starting while this one runs):
   * served like `gas serve` does, so its handshake completes and it can fetch from us.
   */
  #serveLate (transport: Transport): void {
    const { ws } = this.opts
    const identity = this.#connected?.identity
    if (this.#closing || identity === undefined) return transport.close()
    void serveRepo({ store: ws.store, refs: ws.refs, transport, identity, ...this.opts.security }).then((session) => {
      if (this.#closing) session.close()
      else this.#served.push(session)
    }, () => {})
  }

  /** what carries each connection (the direct TCP path, or WebRTC with its candidate pair) */
  get routes (): PeerRoute[] {
    return this.#connected?.routes ?? []
  }

  /** member names of the peers connected */
  get peers (): string[] {
    return this.#sessions.filter((s) => !s.closed).map((s) => s.name)
  }

  /** Why the last content fetch asked nobody: every peer was outside its transfer window (closedWindowText), else undefined. */
  get windowNote (): string | undefined {
    return this.#closed === undefined ? undefined : closedWindowText(this.#closed, this.opts.ws.config.timeZone)
  }

  /** who was asked, for error messages */
  describePeers (): string {
    if (this.#unreachable !== undefined) return `no peer could be asked: ${this.#unreachable}`
    const peers = this.peers
    if (peers.length > 0) return `asked: ${peers.join(', ')}`
    return this.#refusals.length > 0 ? `every peer that answered refused: ${this.#refusals.join('; ')}` : 'no team peer is reachable'
  }

  /** every peer's value of `name` (peer name → id) */
  refValues (name: string): Map<string, ObjectId> {
    const out = new Map<string, ObjectId>()
    for (const [peer, refs] of this.#advertised) {
      const ref = refs.find((r) => r.name === name)
      if (ref !== undefined) out.set(peer, ref.id)
    }
    return out
  }

  /**
   * Fetches `roots` with everything below them (assets' content only where `wantContent` says),
   * metadata first, from every connected peer at once. Objects already stored are not asked for.
   */
  async fetch (roots: ObjectId[], wantContent?: (path: string, asset: Asset) => boolean): Promise<LinkFetchResult> {
    const metadata = await this.fetchMetadata(roots, wantContent)
    if (metadata.missing.length > 0) return metadata
    const content = await this.fetchContent(metadata.wantSet)
    return { objects: metadata.objects + content.objects, bytes: metadata.bytes + content.bytes, missing: content.missing }
  }

  /** The metadata below `roots` (what fetch does first); `wantSet` says which content they still need. */
  async fetchMetadata (roots: ObjectId[], wantContent?: (path: string, asset: Asset) => boolean): Promise<LinkMetadataResult> {
    await this.open()
    const { store } = this.opts.ws
    // why not the content of history: a git state's tree names every pack pushed so far, and an LFS
    // root is a file; an older state's refs list is not needed, and a serve (contentOfHistory false) lacks it
    const wantOpts = { store, roots, wantContent, contentOfHistory: false, decoded: new Map<ObjectId, unknown>() }
    let wantSet = await computeWantSet(wantOpts)
    if (this.#swarm === undefined || this.#swarm.peers.length === 0) {
      return { wantSet, objects: 0, bytes: 0, missing: wantSet.metadata.length > 0 ? wantSet.metadata.map((w) => w.id) : wantSet.content.map((w) => w.id) }
    }
    let objects = 0
    let bytes = 0
    // flushed once after the rounds, as a sync does (sync-engine.ts), not by each round
    for (let round = 0; !wantSet.complete && round < MAX_METADATA_ROUNDS; round++) {
      const got = await this.#swarm.fetch(wantSet.metadata, { knownMissing: true, flush: false })
      objects += got.objects
      bytes += got.bytes
      if (got.objects === 0) break
      wantSet = await computeWantSet(wantOpts)
    }
    await store.flush()
    return { wantSet, objects, bytes, missing: wantSet.metadata.map((w) => w.id) }
  }

  /** The content `wantSet` lists; `onStored` sees each object as it is stored (see ObservedStore). */
  async fetchContent (wantSet: WantSet, onStored?: OnStored): Promise<LinkFetchResult> {
    await this.open()
    if (wantSet.content.length === 0) return { objects: 0, bytes: 0, missing: [] }
    if (this.#swarm === undefined || this.#swarm.peers.length === 0) return { objects: 0, bytes: 0, missing: wantSet.content.map((w) => w.id) }
    // why not asked: a peer outside its transfer window holds content back until the window opens, and the request waited out its timeout (30 s) to say "missing"
    const open = this.#sessions.filter((s) => !s.closed)
    const at = Date.now()
    if (noPeerMaySend(open, at)) {
      this.#closed = open.map((s) => ({ peer: s.name, ...peerWindowClosed(s, at)! }))
      return { objects: 0, bytes: 0, missing: wantSet.content.map((w) => w.id) }
    }
    this.#closed = undefined
    this.#observed.onStored = onStored
    try {
      const content = await this.#swarm.fetch(wantSet.content, { probe: true, knownMissing: true, flush: false })
      await this.opts.ws.store.flush()
      return { objects: content.objects, bytes: content.bytes, missing: content.missing }
    } finally {
      this.#observed.onStored = undefined
    }
  }

  /**
   * Write rights (src/auth): throws a GasError when `name` → `id`, as a peer advertised it, must not
   * be adopted (forged or unauthorized signature, revoked author). No check without a team.
   */
  async authorize (name: string, id: ObjectId): Promise<void> {
    // why: peerSecurity(ws) provides the check; ConnectOptions' type names only the HELLO hooks
    const security = this.opts.security as Pick<PeerSecurity, 'refUpdateCheck' | 'adoptTeamRefs'>
    this.#teamAdopted ??= this.#adoptTeamRecords(security)
    await this.#teamAdopted
    const check = await security.refUpdateCheck?.({ store: this.opts.ws.store, isNew: () => true })
    await check?.({ name, id }, null)
  }

  /**
   * The team records (certificates, revocations, policy) the peers advertise that are new here,
   * fetched and adopted as a sync adopts them, before a state is judged by its author's rights.
   * why: a member who joined and cloned at once knew only its own invite: the state a teammate
   * pushed was refused ("… is not a known member") until a `gas sync` had brought the team.
   */
  async #adoptTeamRecords (security: Pick<PeerSecurity, 'adoptTeamRefs'>): Promise<void> {
    if (security.adoptTeamRefs === undefined) return
    const ours = new Map((await this.opts.ws.refs.list()).map((ref) => [ref.name, ref.id]))
    for (const [peer, refs] of this.#advertised) {
      const news = refs.filter((ref) => isTeamRef(ref.name) && ours.get(ref.name) !== ref.id)
      if (news.length === 0) continue
      await this.fetchMetadata(news.map((ref) => ref.id))
      // records that did not arrive or do not verify are refused there, one by one
      await security.adoptTeamRefs({ store: this.opts.ws.store, refs: news, peer })
    }
  }

  /**
   * After a push: our refs advertised again and done said to every peer, then served until each is
   * done or goes quiet, so that a `gas serve` takes what was pushed (it takes a member's versions
   * once the member is done, serve-pull.ts); which peers then advertise `ref` at `id`.
   * why: a push only recorded the repository here, and git said it was pushed: a member who then
   * closed the laptop had left it on the laptop, and a teammate's pull found no peer holding it
   */
  async deliver (ref: string, id: ObjectId, onWaiting?: (waiting: WaitingTurn[]) => void): Promise<{ took: string[], peers: string[] }> {
    const sessions = this.#sessions.filter((s) => !s.closed)
    if (sessions.length === 0) return { took: [], peers: [] }
    const ours = (await this.opts.ws.refs.list()).filter((r) => isAdvertisedRef(r.name))
    await Promise.all(sessions.map(async (session) => await session.advertiseRefs(ours).catch(() => {})))
    await linger(sessions, systemClock, SYNC_LINGER_IDLE_MS, onWaiting)
    return { took: sessions.filter((s) => s.remoteRefs?.find((r) => r.name === ref)?.id === id).map((s) => s.name), peers: sessions.map((s) => s.name) }
  }

  /** Says done to every peer and leaves the swarm. */
  async close (): Promise<void> {
    this.#closing = true
    for (const session of this.#served) session.close()
    await this.#leave()
    await this.opts.ws.store.flush()
  }

  async #leave (): Promise<void> {
    const sessions = [...new Set([...this.#sessions, ...(this.#connected?.sessions ?? [])])]
    await Promise.all(sessions.map(async (session) => await session.sendDone().catch(() => {})))
    for (const session of sessions) session.close()
    await this.#connected?.leave()
  }
}

/**
 * E_NO_PEERS because every tracker counted no other member in the swarm, or only processes of this
 * same member (its own `gas serve`), which answered: a retry would meet nobody else either.
 */
function nobodyElse (err: GasError): boolean {
  const trackers = (err.data.trackers ?? []) as TrackerReport[]
  const own = Number(err.data.ownProcesses ?? 0)
  return trackers.length > 0 && trackers.every((t) => t.answer === 'no-other-peer' || (t.peers !== undefined && t.peers <= own))
}

/** A GasError for objects no peer provided, naming who was asked. */
export function notOnPeers (what: string, link: PeerLink): GasError {
  const note = link.windowNote
  if (note !== undefined) return new GasError('E_NOT_FOUND', `${what} is not in this workspace: ${note}`, { what, asked: link.peers })
  return new GasError('E_NOT_FOUND', `${what} is not in this workspace and no reachable peer has it (${link.describePeers()}); the member who holds it must be online (\`gas serve\`)`, { what, asked: link.peers })
}
