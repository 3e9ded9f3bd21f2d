import { randomBytes } from 'node:crypto'
import { GasError } from '../errors.js'
import type { Asset } from '../objects/asset.js'
import type { ObjectId } from '../objects/id.js'
import { checkoutHead, type CheckoutResult } from '../repo/checkout.js'
import { mergeVersion } from '../repo/merge.js'
import type { PathConflict } from '../repo/merge-state.js'
import type { Workspace } from '../repo/workspace.js'
import { joinSwarm } from './discovery.js'
import type { PeerIdentity } from './session.js'
import { serveRepo, syncRepo, type PeerSecurity, type SyncProgress, type SyncResult } from './sync-engine.js'
import type { Transport } from './transport.js'

/**
 * How long `gas sync` waits for the first peer, then for more after it (peers found together sync
 * together). The second wait ends early once every peer the tracker counts is connected.
 */
export const FIRST_PEER_WAIT_MS = 5_000
export const MORE_PEERS_WAIT_MS = 1_000

export interface PeerNodeOptions {
  ws: Workspace
  trackers: string[]
  /** HELLO signing/verification (src/auth), injected because auth sits above this layer */
  security: Pick<PeerSecurity, 'sign' | 'verify' | 'mayServe'>
  rtcConfig?: Record<string, unknown>
  wantContent?: (path: string, asset: Asset) => boolean
}

function identityOf (ws: Workspace): PeerIdentity {
  return { peerId: randomBytes(32).toString('hex'), name: ws.identity.name, publicKey: ws.identity.publicKey, teamId: ws.config.team?.id ?? null }
}

function swarmIdOf (ws: Workspace): string {
  const team = ws.config.team
  if (team === null) throw GasError.badArgument('this workspace has no team: run `gas init --team NAME` or `gas team join INVITE` first')
  return team.id
}

function trackersOf (opts: PeerNodeOptions): string[] {
  const trackers = opts.trackers.length > 0 ? opts.trackers : opts.ws.config.trackers
  if (trackers.length === 0) throw GasError.badArgument('no tracker: pass --tracker ws://HOST:PORT or add one to the team invite')
  return trackers
}

/**
 * `gas serve`: stays in the team's swarm and serves every peer that connects, until `signal` aborts.
 * A peer that misbehaves ends its own session only.
 */
export async function servePeers (opts: PeerNodeOptions & { signal: AbortSignal, onPeer?: (event: { peer: string, state: 'connected' | 'closed', error?: string }) => void }): Promise<void> {
  const { ws } = opts
  const identity = identityOf(ws)
  const swarm = await joinSwarm({
    trackers: trackersOf(opts),
    swarmId: swarmIdOf(ws),
    peerId: identity.peerId,
    rtcConfig: opts.rtcConfig,
    onTransport: (transport) => {
      void serveRepo({ store: ws.store, refs: ws.refs, transport, identity, ...opts.security }).then((session) => {
        opts.onPeer?.({ peer: session.name, state: 'connected' })
        // a peer that said it wants nothing more and then hung up finished normally
        session.onClose((err) => opts.onPeer?.({ peer: session.name, state: 'closed', error: session.remoteDone ? undefined : err?.message }))
      }, (err: Error) => opts.onPeer?.({ peer: transport.remoteLabel, state: 'closed', error: err.message }))
    }
  })
  await new Promise<void>((resolve) => {
    if (opts.signal.aborted) resolve()
    else opts.signal.addEventListener('abort', () => resolve(), { once: true })
  })
  await swarm.leave()
  await ws.store.flush()
}

export interface PeerSyncResult extends SyncResult {
  checkout: CheckoutResult | null
  /** a diverged branch merged in: committed (`version`), waiting on `conflicts`, or not started (`error`) */
  merge: { from: string, version: ObjectId | null, conflicts: PathConflict[], error: string | null } | null
}

/**
 * `gas sync --once`: finds the team's reachable peers, exchanges refs, fetches what the rules want
 * from all of them at once, adopts fast-forwards, and brings the workspace files up to date.
 */
export async function syncWithPeers (opts: PeerNodeOptions & { onProgress?: (p: SyncProgress) => void, firstPeerWaitMs?: number, morePeersWaitMs?: number }): Promise<PeerSyncResult> {
  const { ws } = opts
  const identity = identityOf(ws)
  const transports: Transport[] = []
  /** the most other peers a tracker has counted; undefined until one answered */
  let othersCounted: number | undefined
  let changed: () => void = () => {}
  const swarm = await joinSwarm({
    trackers: trackersOf(opts),
    swarmId: swarmIdOf(ws),
    peerId: identity.peerId,
    rtcConfig: opts.rtcConfig,
    onTransport: (transport) => { transports.push(transport); changed() },
    onSwarmSize: (others) => { othersCounted = Math.max(othersCounted ?? 0, others); changed() }
  })
  try {
    // wait for the first peer, then for the others found in the same announce: until all the
    // tracker counts are here, or MORE_PEERS_WAIT_MS after the last one arrived
    await new Promise<void>((resolve) => {
      let settle: NodeJS.Timeout | undefined
      const firstWait = setTimeout(done, opts.firstPeerWaitMs ?? FIRST_PEER_WAIT_MS)
      function done (): void {
        clearTimeout(firstWait)
        clearTimeout(settle)
        resolve()
      }
      let seen = 0
      changed = () => {
        if (transports.length === 0) return
        if (othersCounted !== undefined && transports.length >= othersCounted) return done()
        if (transports.length === seen) return
        seen = transports.length
        clearTimeout(firstWait)
        clearTimeout(settle)
        settle = setTimeout(done, opts.morePeersWaitMs ?? MORE_PEERS_WAIT_MS)
      }
      changed()
    })
    const result = await syncRepo({
      store: ws.store,
      refs: ws.refs,
      transports,
      identity,
      ...opts.security,
      wantContent: opts.wantContent,
      onProgress: opts.onProgress,
      who: ws.identity.name,
      lingerIdleMs: 1_000
    })
    await ws.store.flush()
    // from the version the files are at (the index's base), not `before`: a sync killed after moving the branch left them behind
    let checkout = await checkoutHead(ws)
    let merge: PeerSyncResult['merge'] = null
    const diverged = result.conflicts.find((c) => c.ref === ws.branchRef && c.why === 'diverged')
    if (diverged !== undefined) {
      const from = `${diverged.peer}'s ${ws.config.branch}`
      try {
        const merged = await mergeVersion(ws, { theirs: diverged.remote, from })
        checkout = merged.checkout
        merge = { from, version: merged.version, conflicts: merged.conflicts, error: null }
      } catch (err) {
        // e.g. uncommitted work: nothing is lost, their head stays recorded for the next sync
        merge = { from, version: null, conflicts: [], error: err instanceof GasError ? err.message : String(err) }
      }
    }
    return { ...result, checkout, merge }
  } finally {
    await swarm.leave()
  }
}
