import { GasError } from '../../errors.js'
import type { ObjectId } from '../../objects/id.js'
import type { ObjectStore } from '../../objects/store.js'
import type { RefStore } from '../../refs/ref-store.js'
import { computeWantSet, type CompactWantSet, type WantContent, type WantedObject } from '../../sync/want-set.js'
import { wantSetSparing } from './refused-roots.js'
import { fetchContentPass, type ArrivingContent, type ContentPassResult, type ContentPolicy } from './content-pass.js'
import { ContentWantList } from '../../sync/content-want-list.js'
import { systemClock, type Clock } from '../../clock.js'
import type { LedgerTotals } from '../session/ledger.js'
import { adoptLockRecords, newLockRefs, type LockExchange, type LockExchangeReport } from './lock-exchange.js'
import { applyRemoteRefs, isAdvertisedRef, isGitRef, isSharedRef, isTeamRef, type RefConflict, type RefOutcome, type RejectedRef, type RemoteRef } from './ref-exchange.js'
import { PeerSession, asGasError, type PeerIdentity, type SessionOptions } from '../session/session.js'
import { Swarm, type DroppedPeer, type SwarmProgress } from '../swarm/swarm.js'
import type { SliceProgress } from './content-slices.js'
import { openSessions } from './open-sessions.js'
import { Denials, type AccessDenied } from '../session/denials.js'
import type { Transport } from '../transport/transport.js'
import { traceMark } from '../../trace.js'
import { linger, type WaitingTurn } from './linger.js'

/**
 * `gas sync` and `gas serve` on top of sessions and the swarm:
 *   connect (HELLO) → advertise and receive REFS → fetch metadata of every advertised ref, level
 *   by level, until the want-set is complete → fetch content (rarest first, every peer) →
 *   apply refs whose objects are all here → tell peers we are done, keep serving until they are.
 * Every step starts from what the store holds, so an interrupted sync resumes where it stopped.
 */

/** why: a remote still fetching from us sends WANTs continuously; this long without a frame means it is gone or finished without saying so */
export const LINGER_IDLE_MS = 30_000
/** why: metadata is fetched a level per round (version → tree → asset → file); a history deeper than this is fetched by the next sync */
export const MAX_METADATA_ROUNDS = 10_000

export type SyncPhase = 'connect' | 'refs' | 'metadata' | 'content' | 'apply' | 'linger' | 'done'

export interface SyncProgress {
  phase: SyncPhase
  peers: number
  objects: number
  bytes: number
  totalObjects: number
  totalBytes: number
  /** lingering: peers that take our versions after other members' (BUSY), and how many are before us */
  waiting?: WaitingTurn[]
}

export interface PeerSecurity {
  identity?: PeerIdentity
  /** our name in HELLO when no identity is given */
  peerName?: string
  sign?: SessionOptions['sign']
  verify?: SessionOptions['verify']
  mayServe?: SessionOptions['mayServe']
  /**
   * Team records (refs/team/..., src/auth): with it they are fetched from every peer and handed
   * here, before any other ref is applied, to be adopted once their signatures check out.
   */
  adoptTeamRefs?: (opts: { store: ObjectStore, refs: RemoteRef[], peer: string }) => Promise<RejectedRef[]>
  /** Write rights (src/auth): once per sync, the check each remote ref update must pass (ApplyRefsOptions.authorize); `isNew`: fetched by this sync */
  refUpdateCheck?: (opts: { store: ObjectStore, isNew: (id: ObjectId) => boolean }) => Promise<(ref: RemoteRef, local: ObjectId | null) => Promise<void>>
}

export interface SyncOptions extends PeerSecurity {
  store: ObjectStore
  refs: RefStore
  /** connections to open (HELLO is exchanged here) */
  transports?: Transport[]
  /** sessions already open */
  sessions?: PeerSession[]
  /** objects to fetch (with everything below them) besides what the peers' refs name */
  roots?: ObjectId[]
  /** walk the peers' advertised refs too (default true); false fetches only `roots` */
  refRoots?: boolean
  /** selective sync: whether an asset's content is wanted */
  wantContent?: WantContent
  /** the policy's fingerprint (SyncPolicy.fingerprint): lets trees whose unwanted content is absent count as whole */
  policyKey?: string
  /** content of older versions too (default true) */
  contentOfHistory?: boolean
  /** the peers' refs whose content is fetched whole, whatever wantContent says (a serve: every git repository pushed, as git's server keeps) */
  keepWhole?: (ref: string) => boolean
  /** update refs/heads, tags and builds from the peers' (default true); remote views are recorded either way */
  applyRefs?: boolean
  onProgress?: (progress: SyncProgress) => void
  clock?: Clock
  /** reflog author */
  who?: string
  refsTimeoutMs?: number
  /** stop serving a peer that sent nothing this long after we finished (default LINGER_IDLE_MS; 0: close at once) */
  lingerIdleMs?: number
  /** false: our refs were advertised already on these sessions (a serve's, before it knew the remote was ahead) */
  advertise?: boolean
  /** advertise our refs again once applied, before saying done: the member a serve took versions from learns it did */
  readvertise?: boolean
  /** leave the sessions open at the end (a serve goes on serving the remote); default: closed */
  keepSessions?: boolean
  /** fetch, check and adopt the peers' lock records (refs/locks/); absent: locks are not exchanged */
  locks?: LockExchange
  /** content wants handed to the swarm at a time (default CONTENT_SLICE, content-slices.ts) */
  contentSlice?: number
  /** files written while their chunks arrive (src/repo/arriving-files.ts): told the content wanted, each chunk stored, and when the fetch is over */
  arriving?: ArrivingContent
  /**
   * Called once the refs are applied (before saying done to the peers): the content policy now in
   * force when those refs changed it (a `.gasrules` or a role they brought), else undefined. The
   * walk then runs again under it and what it newly wants is fetched on the same sessions.
   */
  policyAfterRefs?: (applied: AppliedRefs) => Promise<ContentPolicy | undefined>
  /** the peers' history, trees, assets and previews are stored (and flushed) and their content is next: called before it is fetched */
  onMetadataHere?: () => Promise<void>
}

/** What the ref step of a sync did: how many peers answered, the diverged refs, every outcome. */
export interface AppliedRefs {
  peers: number
  conflicts: RefConflict[]
  refs: RefOutcome[]
}

export interface PeerReport extends LedgerTotals {
  name: string
  /** bytes/s received, smoothed, at the end */
  receiveRate: number
}

export interface SyncResult {
  /** payload (BLOCK object bytes) received by this sync, duplicates included */
  fetched: { objects: number, bytes: number }
  /** payload sent to peers while this sync ran */
  sent: { objects: number, bytes: number }
  /** whole frames, headers and control messages included */
  wire: { sent: number, received: number }
  peers: number
  conflicts: RefConflict[]
  refs: RefOutcome[]
  /** wanted objects no peer provided (the next sync asks again) */
  missing: ObjectId[]
  /** content bytes of the missing objects (metadata sizes are not known before it arrives) */
  missingBytes: number
  /** workspace paths of the assets whose objects are missing, where known */
  missingPaths: string[]
  /**
   * Assets a peer refused us (its read rights), one E_ACCESS_DENIED each: not counted as missing,
   * so a member without rights to some paths syncs everything else completely.
   */
  accessDenied: AccessDenied[]
  /** connections to another process of this same member (its own `gas serve`): closed after HELLO, not counted as peers */
  ownProcesses: number
  dropped: DroppedPeer[]
  duplicates: number
  perPeer: PeerReport[]
  /** seconds spent fetching (metadata and content rounds), by the sync's clock */
  fetchSeconds: number
  /** the objects the sync fetched below: `roots` and the peers' advertised refs */
  roots: ObjectId[]
  /**
   * Older versions' content the policy wants and this sync left on the peers on purpose
   * (contentOfHistory false): not missing, fetched on demand. Zero when history content is fetched.
   */
  historyLeftOut: { files: number, bytes: number }
  /** remote ref updates and team records refused (forged, unauthorized, revoked author): kept out, the peer not dropped */
  rejected: RejectedRef[]
  /** lock records adopted and refused (with `locks`) */
  locks?: LockExchangeReport
}


export async function syncRepo (opts: SyncOptions): Promise<SyncResult> {
  const { store, refs } = opts
  if (store === undefined || refs === undefined) throw GasError.badArgument('syncRepo needs a store and refs')
  const clock = opts.clock ?? systemClock
  let phase: SyncPhase = 'connect'
  // the content is fetched in slices (content-slices.ts): progress counts the whole fetch
  const slices: SliceProgress = { totalObjects: 0, totalBytes: 0 }
  const inSlices = (p: SwarmProgress): SwarmProgress => phase !== 'content' || slices.totalObjects === 0 ? p : { ...p, totalObjects: slices.totalObjects, totalBytes: slices.totalBytes }
  const swarm: Swarm = new Swarm({ store, clock, onProgress: (p) => progress(phase, inSlices(p)), onStored: opts.arriving?.onStored.bind(opts.arriving) })
  let firstBlock = false
  function progress (current: SyncPhase, counts: Partial<SyncProgress> = {}): void {
    if (!firstBlock && current === 'content' && (counts.bytes ?? 0) > 0) { firstBlock = true; traceMark('first content block') }
    opts.onProgress?.({ phase: current, peers: swarm.peers.length, objects: 0, bytes: 0, totalObjects: 0, totalBytes: 0, ...counts })
  }
  const opened = await openSessions(opts.transports ?? [], store, opts, clock)
  const sessions = [...(opts.sessions ?? []), ...opened.sessions]
  for (const session of sessions) swarm.addPeer(session)
  progress(phase)

  try {
    phase = 'refs'
    if (opts.advertise !== false) await advertiseOurs(refs, sessions)
    traceMark('refs advertised')
    const advertised = new Map<PeerSession, RemoteRef[]>()
    const teamAdvertised = new Map<PeerSession, RemoteRef[]>()
    const withTeam = opts.adoptTeamRefs !== undefined && opts.refRoots !== false
    const lockRefs: Array<{ peer: string, ref: RemoteRef }> = []
    await Promise.all(sessions.map(async (session) => {
      try {
        const remoteRefs = await session.waitRefs(opts.refsTimeoutMs)
        advertised.set(session, remoteRefs.filter((ref) => isSharedRef(ref.name)))
        if (withTeam) teamAdvertised.set(session, remoteRefs.filter((ref) => isTeamRef(ref.name)))
        if (opts.locks !== undefined) for (const ref of await newLockRefs(refs, remoteRefs)) lockRefs.push({ peer: session.name, ref })
      } catch (err) {
        session.close(asGasError(err))
      }
    }))
    const advertisedIds = opts.refRoots === false ? [] : [...advertised.values(), ...teamAdvertised.values(), lockRefs.map((l) => l.ref)].flat().map((ref) => ref.id)
    const roots = [...new Set([...(opts.roots ?? []), ...advertisedIds])]
    progress(phase)
    traceMark('refs received')

    phase = 'metadata'
    const fetchStart = clock.now()
    // objects peers refused us (access denied): reported once, not asked again by this sync
    const unavailable = new Set<ObjectId>()
    const denials = new Denials()
    // roots that reach a tree no checkout may write (E_PATH_ESCAPE): their refs are refused, the others sync
    const refusedRoots = new Map<ObjectId, GasError>()
    const keepWhole = opts.keepWhole
    const wholeRoots = keepWhole === undefined ? undefined : new Set([...advertised.values()].flat().filter((ref) => keepWhole(ref.name)).map((ref) => ref.id))
    // git repository states: their older refs lists are nobody's "older versions of files" (the sync's history line)
    const uncountedRoots = new Set([...advertised.values()].flat().filter((ref) => isGitRef(ref.name)).map((ref) => ref.id))
    const wantOpts = { store, roots, wantContent: opts.wantContent, policyKey: opts.policyKey, contentOfHistory: opts.contentOfHistory, wholeRoots, uncountedRoots, decoded: new Map<ObjectId, unknown>(), unavailable }
    let wantSet = await wantSetSparing(wantOpts, refusedRoots)
    let duplicates = 0
    // why: version records are checked when they arrive (write rights), not again on every sync
    const fetchedMetadata = new Set<ObjectId>()
    for (let round = 0; !wantSet.complete && round < MAX_METADATA_ROUNDS; round++) {
      for (const wanted of wantSet.metadata) fetchedMetadata.add(wanted.id)
      traceMark(`metadata round ${round}: ${wantSet.metadata.length} wanted`)
      // why no flush per round: each synced the pack and rewrote its index (~5–25 ms a round, four
      // rounds before any content); the content pass flushes, and so does the line before refs apply
      const got = await swarm.fetch(wantSet.metadata, { knownMissing: true, flush: false })
      duplicates += got.duplicates
      denials.add(got.denied, wantSet.metadata, unavailable)
      if (got.objects === 0 && got.denied.length === 0) break
      wantSet = await wantSetSparing(wantOpts, refusedRoots)
    }
    if (opts.onMetadataHere !== undefined && wantSet.content.length > 0) {
      // readable by other processes while the content comes: one flush (~5–25 ms) before a pass that may take minutes
      await store.flush()
      await opts.onMetadataHere()
    }

    phase = 'content'
    const passOf = async (wants: CompactWantSet, arriving?: ArrivingContent): Promise<ContentPassResult> => await fetchContentPass({ store, swarm, wantSet: wants, slices, contentSlice: opts.contentSlice, arriving, denials, unavailable })
    let pass = await passOf(wantSet, opts.arriving)
    duplicates += pass.duplicates
    // why: a big file's content wants (~150 000 for 10 GB) are done with
    wantSet = { ...wantSet, content: new ContentWantList() }
    let historyLeftOut = wantSet.historyLeftOut
    // metadata rounds leave their objects unflushed: durable before any ref names them (cheap when the content pass flushed)
    await store.flush()
    let fetchSeconds = (clock.now() - fetchStart) / 1000
    phase = 'apply'
    progress(phase)
    const conflicts: RefConflict[] = []
    const outcomes: RefOutcome[] = []
    const rejected: RejectedRef[] = []
    // team records first: a revocation or policy learnt now already decides this sync's refs
    for (const [session, remoteRefs] of teamAdvertised) {
      if (remoteRefs.length > 0) rejected.push(...await opts.adoptTeamRefs!({ store, refs: remoteRefs, peer: session.name }))
    }
    // per peer, the refs we were ahead of or diverged from: a serve that takes ours says so before it is done
    const ahead: Array<{ session: PeerSession, outcomes: RefOutcome[] }> = []
    if (opts.applyRefs !== false) {
      const authorize = await opts.refUpdateCheck?.({ store, isNew: (id) => fetchedMetadata.has(id) })
      for (const [session, remoteRefs] of advertised) {
        const accepted = new Set<ObjectId>()
        for (const ref of remoteRefs) {
          const refusal = refusedRoots.get(ref.id)
          if (refusal !== undefined) {
            rejected.push({ ref: ref.name, id: ref.id, peer: session.name, code: refusal.code, message: refusal.message })
            continue
          }
          if (pass.missing.length === 0 || (await isComplete(store, ref.id, opts, unavailable))) accepted.add(ref.id)
        }
        const applied = await applyRemoteRefs({
          refs, store, remoteRefs, peerName: safePeerName(session.name), who: opts.who, accept: (ref) => accepted.has(ref.id), authorize
        })
        rejected.push(...applied.rejected)
        conflicts.push(...applied.conflicts)
        outcomes.push(...applied.outcomes)
        ahead.push({ session, outcomes: applied.outcomes.filter((o) => o.action === 'ahead' || o.action === 'conflict') })
      }
    }

    const locks = opts.locks === undefined ? undefined : await adoptLockRecords(refs, store, lockRefs, opts.locks)

    traceMark('refs applied')
    // a `.gasrules` or a role these refs brought: what the new policy wants, fetched on the same sessions
    const policy = await opts.policyAfterRefs?.({ peers: sessions.length, conflicts, refs: outcomes })
    if (policy !== undefined) {
      const secondStart = clock.now()
      phase = 'metadata'
      const again = await wantSetSparing({ ...wantOpts, ...policy }, refusedRoots)
      phase = 'content'
      const second = await passOf(again)
      pass = { ...second, duplicates: 0 }
      historyLeftOut = again.historyLeftOut
      duplicates += second.duplicates
      fetchSeconds += (clock.now() - secondStart) / 1000
      traceMark('new policy fetched')
    }
    if (opts.readvertise === true) await advertiseOurs(refs, sessions)
    phase = 'linger'
    progress(phase)
    // what the peers take from us meanwhile (a serve takes our versions now): the bar counts it, not a stuck line
    const sent = (): number => sessions.reduce((total, s) => total + s.ledger.bytesSent, 0)
    const sentBefore = sent()
    await linger(sessions, clock, opts.lingerIdleMs ?? LINGER_IDLE_MS, (waiting) => {
      if (sent() > sentBefore || waiting.length > 0) progress(phase, { bytes: sent() - sentBefore, totalBytes: sent() - sentBefore, ...(waiting.length > 0 ? { waiting } : {}) })
    })
    traceMark('linger over')
    await markDelivered(refs, ahead, opts.who, clock.now())
    phase = 'done'
    progress(phase)
    const result = report(sessions, { rejected, conflicts, outcomes, missing: pass.missing, missingWants: pass.missingWants, accessDenied: denials.list(), duplicates, fetchSeconds, roots, historyLeftOut, dropped: [...opened.dropped, ...swarm.dropped], own: opened.own })
    return locks === undefined ? result : { ...result, locks }
  } finally {
    // kept sessions go on (served, lingered for, or a second round with a swarm of its own)
    swarm.detach()
    if (opts.keepSessions !== true) for (const session of sessions) session.close()
  }
}

async function advertiseOurs (refs: RefStore, sessions: PeerSession[]): Promise<void> {
  const ours = (await refs.list()).filter((ref) => isAdvertisedRef(ref.name))
  await Promise.all(sessions.map(async (session) => await session.advertiseRefs(ours).catch(() => {})))
}

/**
 * A ref we were ahead of a peer on (or merged with theirs) whose value the peer advertised again
 * before it was done: as ours is now, it took it (a `gas serve` takes what members have ahead);
 * another value than both, it moved meanwhile (a serve that merged ours, or took someone else's
 * first), and saying "they get it when they sync" would be wrong: our next sync brings theirs.
 */
export async function markDelivered (refs: RefStore, ahead: Array<{ session: Pick<PeerSession, 'remoteRefs' | 'name'>, outcomes: RefOutcome[] }>, who = 'gas', at = Date.now()): Promise<void> {
  if (ahead.every(({ outcomes }) => outcomes.length === 0)) return
  const now = new Map((await refs.list()).map((ref) => [ref.name, ref.id]))
  for (const { session, outcomes } of ahead) {
    for (const outcome of outcomes) {
      const theirs = session.remoteRefs?.find((ref) => ref.name === outcome.ref)?.id
      if (theirs === undefined) continue
      if (theirs === now.get(outcome.ref)) {
        outcome.action = 'delivered'
        // why: `gas status` reads the peer's value from here; it said "2 ahead" of a serve that had just taken ours
        await refs.update({ name: outcome.remoteRef, newId: theirs, message: `${session.name} took it`, who, now: at })
      } else if (theirs !== outcome.remote) outcome.action = 'moved'
    }
  }
}

async function isComplete (store: ObjectStore, root: ObjectId, opts: SyncOptions, unavailable: ReadonlySet<ObjectId>): Promise<boolean> {
  const set = await computeWantSet({ store, roots: [root], wantContent: opts.wantContent, contentOfHistory: opts.contentOfHistory, unavailable })
  return set.complete && set.content.length === 0
}

/** A remote's self-chosen name made safe as one ref path component. */
export function safePeerName (name: string): string {
  const safe = name.replace(/[^A-Za-z0-9_@+=,.-]/g, '_').replace(/^\.+/, '_').replace(/\.lock$/, '_lock').replace(/\.\./g, '_')
  return safe === '' ? 'peer' : safe.slice(0, 64)
}

function report (sessions: PeerSession[], parts: { rejected: RejectedRef[], conflicts: RefConflict[], outcomes: RefOutcome[], missing: ObjectId[], missingWants: WantedObject[], accessDenied: AccessDenied[], duplicates: number, fetchSeconds: number, roots: ObjectId[], historyLeftOut: SyncResult['historyLeftOut'], dropped: DroppedPeer[], own: number }): SyncResult {
  const perPeer: PeerReport[] = sessions.map((s) => ({
    name: s.name,
    objectsSent: s.ledger.objectsSent,
    objectsReceived: s.ledger.objectsReceived,
    bytesSent: s.ledger.bytesSent,
    bytesReceived: s.ledger.bytesReceived,
    wireBytesSent: s.ledger.wireBytesSent,
    wireBytesReceived: s.ledger.wireBytesReceived,
    receiveRate: s.ledger.receiveRate.rate()
  }))
  const sum = (key: keyof LedgerTotals): number => perPeer.reduce((total, p) => total + p[key], 0)
  return {
    fetched: { objects: sum('objectsReceived'), bytes: sum('bytesReceived') },
    sent: { objects: sum('objectsSent'), bytes: sum('bytesSent') },
    wire: { sent: sum('wireBytesSent'), received: sum('wireBytesReceived') },
    peers: sessions.length,
    conflicts: parts.conflicts,
    refs: parts.outcomes,
    missing: parts.missing,
    missingBytes: parts.missingWants.reduce((total, w) => total + (w.size ?? 0), 0),
    missingPaths: [...new Set(parts.missingWants.flatMap((w) => w.path === undefined || w.path === '' ? [] : [w.path]))].sort(),
    accessDenied: parts.accessDenied,
    ownProcesses: parts.own,
    dropped: parts.dropped,
    duplicates: parts.duplicates,
    perPeer,
    fetchSeconds: parts.fetchSeconds,
    roots: parts.roots,
    historyLeftOut: parts.historyLeftOut,
    rejected: parts.rejected
  }
}
