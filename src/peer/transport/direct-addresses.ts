import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os'
import { MAX_ANNOUNCED_ADDRESSES } from './direct-announce.js'
import { formatHostPort, type HostPort } from './direct-handshake.js'

/** The default direct listen address of `gas serve`: every interface, a free port. */
export const DEFAULT_LISTEN: HostPort = { host: '0.0.0.0', port: 0 }

const LOOPBACK_HOST = /^(127\.\d+\.\d+\.\d+|localhost|::1|\[::1\])$/

/**
 * The addresses a serve listening at `bound` tells its peers, best first: the address itself when
 * it listens on one, else each interface's IPv4 address (LAN ones before loopback). A team whose
 * trackers are all on loopback is on this machine: then only loopback addresses are told, so
 * nobody dials out of the machine for a peer that sits beside it.
 */
export function announcedAddresses (bound: HostPort, trackers: string[], interfaces: NodeJS.Dict<NetworkInterfaceInfo[]> = networkInterfaces()): string[] {
  if (bound.host !== '0.0.0.0' && bound.host !== '::') return [formatHostPort(bound)]
  const local = trackers.length > 0 && trackers.every((url) => LOOPBACK_HOST.test(hostOf(url)))
  const v4 = Object.values(interfaces).flatMap((list) => list ?? []).filter((i) => i.family === 'IPv4' && (!local || i.internal))
  v4.sort((a, b) => Number(a.internal) - Number(b.internal))
  return [...new Set(v4.map((i) => formatHostPort({ host: i.address, port: bound.port })))].slice(0, MAX_ANNOUNCED_ADDRESSES)
}

function hostOf (url: string): string {
  try {
    return new URL(url).hostname
  } catch {
    return ''
  }
}
