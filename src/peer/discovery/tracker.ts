// @ts-ignore -- bittorrent-tracker ships no type declarations; `TrackerServer` below types what we use
import { Server } from 'bittorrent-tracker'
import type { AddressInfo } from 'node:net'
import { networkInterfaces } from 'node:os'
import { GasError } from '../../errors.js'

/** The slice of bittorrent-tracker's Server we rely on. */
interface TrackerServer {
  http: import('node:http').Server | null
  ws: { clients: Set<{ terminate: () => void }> } | null
  listen: (port: number, hostname: string | undefined, onListening: () => void) => void
  close: (cb: () => void) => void
  on: (event: string, cb: (...args: any[]) => void) => void
}

const ServerCtor = Server as new (opts: Record<string, unknown>) => TrackerServer

export interface RunningTracker {
  /** ws://host:port, to pass to `joinSwarm({ trackers })`: the first of `urls` */
  url: string
  /** the URLs members can use: one per interface address when bound to all of them, reachable ones first */
  urls: string[]
  port: number
  close: () => Promise<void>
}

/**
 * Runs a WebSocket BitTorrent tracker (WebRTC signalling only: no HTTP or UDP announces). A
 * team's swarm on it is the hash of the team key (`joinSwarm({ swarmId })`).
 */
export async function startTracker (opts: { port?: number, host?: string } = {}): Promise<RunningTracker> {
  const host = opts.host ?? '127.0.0.1'
  const port = opts.port ?? 0
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw GasError.badArgument(`tracker port must be 0..65535, not ${String(port)}`)
  const server = new ServerCtor({ ws: { clientTracking: true }, http: false, udp: false, stats: false })
  // why: an 'error' event without a listener would crash the process; peers misbehaving is routine
  server.on('warning', () => {})
  server.on('error', () => {})
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => {
      reject(new GasError('E_IO', `tracker cannot listen on ${host}:${port}: ${err.message}${(err as NodeJS.ErrnoException).code === 'EADDRINUSE' ? '; another program (a tracker already running?) has that port: pick another with --port N (0: any free port)' : ''}`, { host, port }))
    }
    // the http server reports listen errors itself; bittorrent-tracker does not forward them
    server.http?.once('error', onError)
    server.listen(port, host, () => {
      server.http?.removeListener('error', onError)
      resolve()
    })
  })
  const address = server.http?.address() as AddressInfo
  const urls = reachableHosts(host).map((h) => `ws://${h.includes(':') ? `[${h}]` : h}:${address.port}`)
  let closing: Promise<void> | undefined
  return {
    url: urls[0],
    urls,
    port: address.port,
    close () {
      closing ??= new Promise<void>(resolve => {
        // why: ws ≥ 8 leaves open sockets alone on close(); without this close waits for every client to go
        for (const client of server.ws?.clients ?? []) client.terminate()
        server.http?.closeAllConnections()
        server.close(() => resolve())
      })
      return closing
    }
  }
}

/** The addresses a tracker bound to `host` answers on: every interface's for 0.0.0.0 / ::, non-loopback first. */
export function reachableHosts (host: string): string[] {
  if (host !== '0.0.0.0' && host !== '::') return [host]
  const addrs = Object.values(networkInterfaces()).flat().filter((a) => a !== undefined && (host === '::' || a.family === 'IPv4') && !a.address.startsWith('fe80'))
  const sorted = [...addrs.filter((a) => !a!.internal), ...addrs.filter((a) => a!.internal)].map((a) => a!.address)
  return sorted.length > 0 ? sorted : [host === '::' ? '::1' : '127.0.0.1']
}
