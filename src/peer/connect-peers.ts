import { randomBytes } from 'node:crypto'
import { GasError } from '../errors.js'
import type { Workspace } from '../repo/workspace.js'
import { joinSwarm, type Swarm as TrackerSwarm } from './discovery.js'
import type { PeerIdentity } from './session.js'
import type { Transport } from './transport.js'

/**
 * How long a one-shot command (`gas sync --once`, `gas fetch`, a build fetch, the LFS agent)
 * waits for the first peer, then for more after it (peers found together fetch together). The
 * second wait ends early once every peer the tracker counts is connected.
 */
export const FIRST_PEER_WAIT_MS = 5_000
export const MORE_PEERS_WAIT_MS = 1_000

export interface ConnectOptions {
  ws: Workspace
  trackers: string[]
  rtcConfig?: Record<string, unknown>
  firstPeerWaitMs?: number
  morePeersWaitMs?: number
  /** wraps each connection (rate limits) before it is used */
  wrapTransport?: (transport: Transport) => Transport
}

export interface ConnectedPeers {
  identity: PeerIdentity
  transports: Transport[]
  /** leaves the swarm: closes every connection it made */
  leave: () => Promise<void>
}

export function identityOf (ws: Workspace): PeerIdentity {
  return { peerId: randomBytes(32).toString('hex'), name: ws.identity.name, publicKey: ws.identity.publicKey, teamId: ws.config.team?.id ?? null }
}

export function swarmIdOf (ws: Workspace): string {
  const team = ws.config.team
  if (team === null) throw GasError.badArgument('this workspace has no team: run `gas init --team NAME` or `gas team join INVITE` first')
  return team.id
}

export function trackersOf (opts: { ws: Workspace, trackers: string[] }): string[] {
  const trackers = opts.trackers.length > 0 ? opts.trackers : opts.ws.config.trackers
  if (trackers.length === 0) throw GasError.badArgument('no tracker: pass --tracker ws://HOST:PORT or set one with `gas team tracker URL`')
  return trackers
}

/**
 * Joins the team's swarm and waits for the reachable peers: for the first one, then for the others
 * found in the same announce, until all the tracker counts are here or MORE_PEERS_WAIT_MS after
 * the last one arrived.
 */
export async function connectPeers (opts: ConnectOptions): Promise<ConnectedPeers> {
  const { ws } = opts
  const identity = identityOf(ws)
  const transports: Transport[] = []
  /** the most other peers a tracker has counted; undefined until one answered */
  let othersCounted: number | undefined
  let changed: () => void = () => {}
  const swarm: TrackerSwarm = await joinSwarm({
    trackers: trackersOf(opts),
    swarmId: swarmIdOf(ws),
    peerId: identity.peerId,
    rtcConfig: opts.rtcConfig,
    onTransport: (transport) => { transports.push(opts.wrapTransport?.(transport) ?? transport); changed() },
    onSwarmSize: (others) => { othersCounted = Math.max(othersCounted ?? 0, others); changed() }
  })
  try {
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
  } catch (err) {
    await swarm.leave()
    throw err
  }
  return { identity, transports, leave: async () => await swarm.leave() }
}
