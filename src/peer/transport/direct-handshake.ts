import { connect as tlsConnect, createServer, type ConnectionOptions, type Server, type TLSSocket } from 'node:tls'
import type { AddressInfo } from 'node:net'
import { GasError } from '../../errors.js'
import { systemClock, type Clock } from '../../clock.js'
import { decodeDirectProof, encodeDirectProof, type DirectBinding, type DirectProof, type DirectSecurity } from './direct-proof.js'
import { StreamTransport } from './tcp-transport.js'
import { SocketReads } from './socket-reads.js'
import { ephemeralCredentials } from './tls-certificate.js'

/**
 * The direct path: TLS 1.3 over TCP, then a member proof each way over the TLS exporter
 * (direct-proof.ts). The certificate is a throwaway; a connection counts only once the proofs
 * passed. The client proves first and the server answers only a member, so a stranger that
 * connects learns nothing but that something speaks TLS there.
 */

/** why: TLS plus one proof each way is two round trips; a peer this slow on a direct path is not worth waiting for (WebRTC remains) */
export const DIRECT_HANDSHAKE_TIMEOUT_MS = 10_000
/** why: the exporter label names this use (RFC 8446 §7.5); both sides must use the same */
const EXPORTER_LABEL = 'EXPORTER-gas-direct-1'
const ALPN = 'gas-direct/1'

export interface DirectPeer {
  transport: StreamTransport
  /** who proved itself on this connection */
  remote: DirectProof
  /** `HOST:PORT` of the other end */
  address: string
}

export interface DirectOptions {
  /** our process's peerId (HELLO's), told in the proof */
  peerId: string
  security: DirectSecurity
  clock?: Clock
  handshakeTimeoutMs?: number
}

export interface HostPort { host: string, port: number }

/** Connects to a direct address and runs the member handshake; rejects (E_AUTH, also when the server hangs up after our proof; E_TIMEOUT, E_PEER_LOST) when it fails. */
export async function connectDirect (to: HostPort, opts: DirectOptions): Promise<DirectPeer> {
  const address = formatHostPort(to)
  // why onread: the dialing side is the one that fetches (gas sync); its reads skip the stream machinery (socket-reads.ts)
  const reads = new SocketReads()
  // (tls.connect takes `onread` as net.connect does; @types/node does not list it)
  const options: ConnectionOptions & { onread: SocketReads['option'] } = { host: to.host, port: to.port, minVersion: 'TLSv1.3', ALPNProtocols: [ALPN], rejectUnauthorized: false, onread: reads.option }
  const socket = tlsConnect(options)
  return await handshake(socket, 'client', address, opts, reads, new Promise<void>((resolve, reject) => {
    socket.once('secureConnect', resolve)
    socket.once('error', (err) => reject(new GasError('E_PEER_LOST', `cannot reach ${address} directly: ${err.message}`, { address })))
  }))
}

export interface DirectListener {
  readonly host: string
  readonly port: number
  close: () => Promise<void>
}

/**
 * Listens for direct connections; each one whose member handshake passes goes to `onPeer`, each
 * one refused (a stranger, another team, garbage) to `onRefused`. A failed connection never
 * affects the listener.
 */
export async function listenDirect (at: HostPort, opts: DirectOptions & { onPeer: (peer: DirectPeer) => void, onRefused?: (err: GasError, address: string) => void }): Promise<DirectListener> {
  const server: Server = createServer({ ...ephemeralCredentials(), minVersion: 'TLSv1.3', ALPNProtocols: [ALPN] })
  const open = new Set<TLSSocket>()
  server.on('secureConnection', (socket: TLSSocket) => {
    open.add(socket)
    socket.once('close', () => open.delete(socket))
    const address = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`
    handshake(socket, 'server', address, opts, undefined, Promise.resolve()).then(opts.onPeer, (err: GasError) => opts.onRefused?.(err, address))
  })
  // why: a client that is not TLS, or hangs up mid-handshake, is routine for a listening port
  server.on('tlsClientError', (_err, socket) => socket.destroy())
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(new GasError('E_BAD_ARGUMENT', `cannot listen on ${formatHostPort(at)}: ${err.code ?? err.message}; choose another address with --listen HOST:PORT`, { address: formatHostPort(at) })))
    server.listen(at.port, at.host, () => resolve())
  })
  server.on('error', () => { /* after listening: per-connection errors are handled on the connection */ })
  const bound = server.address() as AddressInfo
  return {
    host: bound.address,
    port: bound.port,
    close: async () => {
      for (const socket of open) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}

async function handshake (socket: TLSSocket, role: 'client' | 'server', address: string, opts: DirectOptions, reads: SocketReads | undefined, connected: Promise<void>): Promise<DirectPeer> {
  const clock = opts.clock ?? systemClock
  const timeoutMs = opts.handshakeTimeoutMs ?? DIRECT_HANDSHAKE_TIMEOUT_MS
  let cancelTimer = (): void => {}
  const timeout = new Promise<never>((_resolve, reject) => {
    cancelTimer = clock.after(timeoutMs, () => reject(new GasError('E_TIMEOUT', `the direct handshake with ${address} did not finish within ${timeoutMs} ms`, { address })))
  })
  let transport: StreamTransport | undefined
  try {
    return await Promise.race([timeout, (async () => {
      await connected
      transport = new StreamTransport(socket, `tcp ${address}`, { reads })
      const first = transport.firstFrame()
      first.catch(() => {})
      const binding = (side: 'client' | 'server'): DirectBinding => ({ exporter: socket.exportKeyingMaterial(32, EXPORTER_LABEL, Buffer.alloc(0)).toString('hex'), role: side })
      const other = role === 'client' ? 'server' : 'client'
      if (role === 'client') await transport.send(encodeDirectProof(await opts.security.prove({ ...binding(role), peerId: opts.peerId })))
      const remote = decodeDirectProof(await (role === 'client' ? first.catch((err) => { throw hungUpAfterProof(err, address) }) : first), address)
      await opts.security.check(remote, binding(other))
      if (role === 'server') await transport.send(encodeDirectProof(await opts.security.prove({ ...binding(role), peerId: opts.peerId })))
      return { transport, remote, address }
    })()])
  } catch (err) {
    if (transport !== undefined) transport.destroy()
    else socket.destroy()
    throw err instanceof GasError ? err : new GasError('E_PEER_LOST', `direct connection to ${address} failed: ${(err as Error).message}`, { address })
  } finally {
    cancelTimer()
  }
}

/**
 * The server closed the connection after our proof without one of its own: what a member's
 * `gas serve` does to a key it does not take (it tells a stranger nothing, not even why). Said as
 * such (E_AUTH), not as a lost connection the next sync would get back.
 */
function hungUpAfterProof (err: unknown, address: string): unknown {
  if (!(err instanceof GasError) || err.code !== 'E_PEER_LOST') return err
  return new GasError('E_AUTH', `${address} hung up after our membership proof, as a team's peer does to a key it does not take: not invited yet (a lead runs \`gas team add\`, you \`gas team join\`), revoked, or a member of another team`, { address })
}

export function formatHostPort (at: HostPort): string {
  return at.host.includes(':') ? `[${at.host}]:${at.port}` : `${at.host}:${at.port}`
}

/** Parses `HOST:PORT` (`[V6]:PORT` for IPv6); throws E_BAD_ARGUMENT with what is wrong. */
export function parseHostPort (text: string, defaultHost?: string): HostPort {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text.trim())
  const host = m?.[1] ?? m?.[2] ?? ''
  const port = Number(m?.[3])
  if (m === null || port > 65535 || (host === '' && defaultHost === undefined)) {
    throw GasError.badArgument(`${JSON.stringify(text)} is not an address: write HOST:PORT, e.g. 192.168.1.20:7480 or [fe80::1]:7480`)
  }
  return { host: host === '' ? defaultHost as string : host, port }
}
