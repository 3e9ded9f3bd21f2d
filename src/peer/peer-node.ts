import { randomBytes } from 'node:crypto'
import { GasError } from '../errors.js'
import type { Asset } from '../objects/asset.js'
import type { ObjectId } from '../objects/id.js'
import { checkoutVersion, type CheckoutResult } from '../repo/checkout.js'
import { mergeVersion } from '../repo/merge.js'
import type { PathConflict } from '../repo/merge-state.js'
import type { Workspace } from '../repo/workspace.js'
import { joinSwarm } from './discovery.js'
import { noRouteError, workspaceRtcConfig } from './ice-config.js'
import { DIRECT_ATTEMPT_MS, RelayFallback } from './relay-fallback.js'
import type { WebRtcRoute } from './webrtc-transport.js'
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
    rtcConfig: opts.rtcConfig ?? await workspaceRtcConfig(ws.gasDir, trackersOf(opts)),
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
  /** per connected peer: the ICE candidate pair that carried the sync (host, srflx or relay), and how long its handshake took */
  routes: Array<WebRtcRoute & { peer: string, setupMs: number }>
}

/**
 * `gas sync --once`: finds the team's reachable peers, exchanges refs, fetches what the rules want
 * from all of them at once, adopts fast-forwards, and brings the workspace files up to date.
 */
export async function syncWithPeers (opts: PeerNodeOptions & { onProgress?: (p: SyncProgress) => void, firstPeerWaitMs?: number, morePeersWaitMs?: number }): Promise<PeerSyncResult> {
  const { ws } = opts
  const identity = identityOf(ws)
  const transports: Transport[] = []
  const routes: PeerSyncResult['routes'] = []
  /** the most other peers a tracker has counted; undefined until one answered */
  let othersCounted: number | undefined
  let changed: () => void = () => {}
  const rtcConfig = opts.rtcConfig ?? await workspaceRtcConfig(ws.gasDir, trackersOf(opts))
  // a team with a TURN relay tries it after a direct attempt failed: wait for that too
  const firstPeerWaitMs = opts.firstPeerWaitMs ?? (new RelayFallback(rtcConfig).available ? FIRST_PEER_WAIT_MS + DIRECT_ATTEMPT_MS : FIRST_PEER_WAIT_MS)
  const swarm = await joinSwarm({
    trackers: trackersOf(opts),
    swarmId: swarmIdOf(ws),
    peerId: identity.peerId,
    rtcConfig,
    onTransport: (transport, info) => {
      transports.push(transport)
      if (info.route !== undefined) routes.push({ peer: info.remotePeerId, ...info.route, setupMs: Math.round(info.setupMs) })
      changed()
    },
    onSwarmSize: (others) => { othersCounted = Math.max(othersCounted ?? 0, others); changed() }
  })
  try {
    // wait for the first peer, then for the others found in the same announce: until all the
    // tracker counts are here, or MORE_PEERS_WAIT_MS after the last one arrived
    await new Promise<void>((resolve) => {
      let settle: NodeJS.Timeout | undefined
      const firstWait = setTimeout(done, firstPeerWaitMs)
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
    // peers were introduced but no candidate pair reached one: say which were tried
    if (transports.length === 0 && swarm.routesTried().length > 0) throw noRouteError(swarm.routesTried())
    const before = await ws.head()
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
    const after = await ws.head()
    let checkout = after !== undefined && after !== before ? await checkoutVersion(ws, after, before) : null
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
    return { ...result, checkout, merge, routes }
  } finally {
    await swarm.leave()
  }
}
