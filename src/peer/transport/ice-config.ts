import { chmod, readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { GasError, fromFsError } from '../../errors.js'

/**
 * A STUN server or TURN relay, as the team configured it (`gas team ice`). TURN credentials live
 * here, in `.gas/ice.json` (mode 0600) and in invites: never in versions, refs or the config file.
 */
export interface IceServer {
  /** stun:HOST:PORT or turn:HOST:PORT (optionally ?transport=udp); relays over TCP or TLS are refused */
  url: string
  username?: string
  credential?: string
}

const ICE_URL = /^(stun|turn|turns):(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?(\?transport=(udp|tcp))?$/

/**
 * Parses what a user types: `stun:HOST:PORT`, `turn:USER@HOST:PORT` (the secret given apart, as
 * `credential`), or `turn:USER:SECRET@HOST:PORT`.
 */
export function parseIceServer (spec: string, credential?: string): IceServer {
  const m = /^(stun|turns?):(?:([^@:/]+)(?::([^@]*))?@)?(.+)$/.exec(spec.trim())
  if (m === null) throw GasError.badArgument(`ICE server must be stun:HOST:PORT or turn:USER@HOST:PORT, not "${spec}"`)
  const [, scheme, user, inlineSecret, rest] = m
  const url = `${scheme}:${rest}`
  const port = ICE_URL.exec(url)?.[3]
  if (!ICE_URL.test(url) || (port !== undefined && Number(port) > 65535)) throw GasError.badArgument(`ICE server must be stun:HOST:PORT or turn:USER@HOST:PORT, not "${spec}"`)
  if (scheme === 'stun') {
    if (user !== undefined) throw GasError.badArgument(`a STUN server takes no user: ${spec}`)
    return { url }
  }
  // why refused: libjuice, the ICE agent inside node-datachannel, relays over UDP only and skips
  // such servers without a word; a team would believe it has a relay and get E_NO_ROUTE instead
  if (scheme === 'turns' || /\?transport=tcp$/.test(rest)) {
    throw GasError.badArgument(`relays over TCP or TLS are not supported (WebRTC here relays over UDP only): give the relay's UDP port, e.g. turn:USER@HOST:3478 (${spec})`)
  }
  const secret = credential ?? inlineSecret
  if (user === undefined || secret === undefined || secret === '') {
    throw GasError.badArgument(`a TURN relay needs a user and its secret: turn:USER@HOST:PORT with --credential SECRET (${spec})`)
  }
  return { url, username: user, credential: secret }
}

/** The server as shown to people: no secret. */
export function describeIceServer (s: IceServer): string {
  return s.username === undefined ? s.url : s.url.replace(/^(turns?):/, `$1:${s.username}@`)
}

export function checkIceServers (value: unknown, where: string): IceServer[] {
  if (!Array.isArray(value)) throw GasError.badArgument(`${where}: ICE servers must be a list`)
  return value.map((s: IceServer) => {
    if (typeof s?.url !== 'string') throw GasError.badArgument(`${where}: an ICE server has no url`)
    const user = s.username === undefined ? '' : `${s.username}@`
    return parseIceServer(s.url.replace(/^(turns?):/, `$1:${user}`), s.credential)
  })
}

function iceFile (gasDir: string): string {
  return join(gasDir, 'ice.json')
}

export async function loadIceServers (gasDir: string): Promise<IceServer[]> {
  let text: string
  try {
    text = await readFile(iceFile(gasDir), 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw fromFsError(err, iceFile(gasDir))
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    throw new GasError('E_CORRUPT_OBJECT', `${iceFile(gasDir)} is not valid JSON; fix it or add the servers again with \`gas team ice\``)
  }
  return checkIceServers((parsed as { servers?: unknown })?.servers, iceFile(gasDir))
}

/** Adds servers (a server already there, by URL, is replaced); the file is written whole, then renamed. */
export async function addIceServers (gasDir: string, added: IceServer[]): Promise<IceServer[]> {
  const byUrl = new Map((await loadIceServers(gasDir)).map((s) => [s.url, s]))
  for (const s of added) byUrl.set(s.url, s)
  const servers = [...byUrl.values()]
  const path = iceFile(gasDir)
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
  try {
    await writeFile(tmp, JSON.stringify({ servers }, null, 2), { mode: 0o600 })
    await chmod(tmp, 0o600)
    await rename(tmp, path)
  } catch (err) {
    throw fromFsError(err, path)
  }
  return servers
}

const LOOPBACK_HOST = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/i

/** True when every tracker is on this machine: then every peer it introduces is too. */
export function trackersAreLocal (trackers: string[]): boolean {
  return trackers.length > 0 && trackers.every((url) => {
    try {
      return LOOPBACK_HOST.test(new URL(url).hostname)
    } catch {
      return false
    }
  })
}

/**
 * The node-datachannel configuration for a team: its STUN/TURN servers, and host candidates on
 * every usable interface, except when every tracker is on 127.0.0.1 (peers on this machine only,
 * as in tests): then ICE binds to 127.0.0.1 and offers nothing else.
 */
export function rtcConfigFor (opts: { trackers: string[], iceServers: IceServer[] }): Record<string, unknown> {
  const iceServers = opts.iceServers.map((s) => s.username === undefined ? { urls: s.url } : { urls: s.url, username: s.username, credential: s.credential })
  if (opts.iceServers.length === 0 && trackersAreLocal(opts.trackers)) return { iceServers, bindAddress: '127.0.0.1' }
  return { iceServers }
}

/** The rtcConfig a workspace's peers use: its team's ICE servers, bound as `rtcConfigFor` says. */
export async function workspaceRtcConfig (gasDir: string, trackers: string[]): Promise<Record<string, unknown>> {
  return rtcConfigFor({ trackers, iceServers: await loadIceServers(gasDir) })
}

/** E_NO_ROUTE: the tracker introduced peers, but no candidate pair reached any of them. */
export function noRouteError (tried: Array<{ peer: string, local: string[], remote: string[], iceState: string }>): GasError {
  const list = (c: string[]): string => c.length === 0 ? 'none' : c.join(', ')
  const lines = tried.map((t) => `peer ${t.peer.slice(0, 8)} (ICE ${t.iceState}): ours ${list(t.local)}; theirs ${list(t.remote)}`)
  return new GasError('E_NO_ROUTE',
    `no network path to ${tried.length} peer(s) the tracker introduced; candidates tried: ${lines.join(' | ')}. ` +
    'Behind NATs add a STUN server or a TURN relay for the team: `gas team ice stun:HOST:PORT` / `gas team ice turn:USER@HOST:PORT --credential SECRET`',
    { tried })
}
