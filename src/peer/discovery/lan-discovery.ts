import { createSocket, type Socket } from 'node:dgram'
import { GasError } from '../../errors.js'
import { decodeAnnounce, type DirectAnnounce } from '../transport/direct-announce.js'
import { systemClock, type Clock } from '../../clock.js'

/**
 * Finding team peers on the local network without a tracker, as Syncthing's local discovery
 * does, over IPv4 multicast: a `gas serve` joins the group, announces its direct addresses there
 * every LAN_ANNOUNCE_INTERVAL_MS and answers a query for its team at once (to the asker alone);
 * a `gas sync` sends one query and dials what comes back. Announces are signed by the member key
 * (direct-announce.ts), and an address is trusted only once the connection's own handshake proves
 * the announcing process: a forged or wrong announce costs one failed connection attempt.
 */

/** why: organisation-local scope (RFC 2365), not routed off the site */
export const LAN_GROUP = '239.192.71.83'
/** why: next to Syncthing's 21027, not on it: its broadcasts are not ours to parse */
export const LAN_PORT = 21047
/** why: Syncthing's interval; a sync asks when it starts, so this only refreshes long-running peers */
export const LAN_ANNOUNCE_INTERVAL_MS = 30_000
/** why: an announce is a key, a signature and up to 8 addresses (~600 bytes); anything larger is not one */
export const MAX_LAN_PACKET = 4096
const PROTOCOL = 'gas-lan-1'

export interface LanOptions {
  /** the local IPv4 address whose interface carries the multicast (default: the system's choice) */
  interface?: string
  port?: number
  group?: string
}

interface LanPacket { p: string, query?: string, announce?: unknown }

function encode (packet: Omit<LanPacket, 'p'>): Buffer {
  return Buffer.from(JSON.stringify({ p: PROTOCOL, ...packet }))
}

function decode (bytes: Buffer): LanPacket | undefined {
  if (bytes.length > MAX_LAN_PACKET) return undefined
  try {
    const value = JSON.parse(bytes.toString('utf8')) as LanPacket
    return typeof value === 'object' && value !== null && value.p === PROTOCOL ? value : undefined
  } catch {
    return undefined // not ours: other software shares multicast
  }
}

async function openSocket (opts: LanOptions, bindPort: number, join: boolean): Promise<Socket> {
  const socket = createSocket({ type: 'udp4', reuseAddr: true })
  socket.on('error', () => { /* a lost datagram is routine for discovery */ })
  await new Promise<void>((resolve, reject) => {
    socket.once('error', (err: NodeJS.ErrnoException) => reject(new GasError('E_IO', `LAN discovery cannot use UDP port ${bindPort}: ${err.code ?? err.message}`, { port: bindPort })))
    socket.bind(bindPort, () => resolve())
  })
  try {
    if (join) socket.addMembership(opts.group ?? LAN_GROUP, opts.interface)
    if (opts.interface !== undefined) socket.setMulticastInterface(opts.interface)
    socket.setMulticastLoopback(true) // peers on this machine find each other too
  } catch (err) {
    socket.close()
    throw new GasError('E_IO', `LAN discovery cannot join ${opts.group ?? LAN_GROUP} on ${opts.interface ?? 'the default interface'}: ${(err as Error).message}`)
  }
  return socket
}

/** The serving side: announces `announce()` to the group now and then, and to each asker of our team. */
export async function startLanAnnouncer (opts: LanOptions & { teamId: string | null, announce: () => DirectAnnounce, clock?: Clock }): Promise<{ close: () => void }> {
  const clock = opts.clock ?? systemClock
  const port = opts.port ?? LAN_PORT
  const socket = await openSocket(opts, port, true)
  const send = (to: { address: string, port: number }): void => { socket.send(encode({ announce: opts.announce() }), to.port, to.address) }
  socket.on('message', (bytes, from) => {
    const packet = decode(bytes)
    if (packet?.query !== undefined && packet.query === (opts.teamId ?? '')) send(from)
  })
  let cancel = (): void => {}
  const tick = (): void => {
    send({ address: opts.group ?? LAN_GROUP, port })
    cancel = clock.after(LAN_ANNOUNCE_INTERVAL_MS, tick)
  }
  tick()
  return { close: closeOnce(socket, cancel) }
}

/** The asking side: one query for our team; every well-formed announce heard goes to `onAnnounce` (its signature is the caller's to check). */
export async function queryLan (opts: LanOptions & { teamId: string | null, onAnnounce: (announce: DirectAnnounce) => void }): Promise<{ close: () => void }> {
  const socket = await openSocket(opts, 0, false)
  socket.on('message', (bytes) => {
    const announce = decodeAnnounce(decode(bytes)?.announce)
    if (announce !== undefined) opts.onAnnounce(announce)
  })
  socket.send(encode({ query: opts.teamId ?? '' }), opts.port ?? LAN_PORT, opts.group ?? LAN_GROUP)
  return { close: closeOnce(socket) }
}

/** why: a caller's cleanup may close twice (done, then the error path); dgram throws on the second, which hid the error being reported */
function closeOnce (socket: Socket, before: () => void = () => {}): () => void {
  let closed = false
  return () => {
    if (closed) return
    closed = true
    before()
    socket.close()
  }
}
