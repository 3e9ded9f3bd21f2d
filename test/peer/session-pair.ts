import { MemoryStore } from '../../src/objects/memory-store.js'
import { MemoryTransport } from '../../src/peer/transport/memory-transport.js'
import { PeerSession, randomIdentity, type ReceivedBlock } from '../../src/peer/session/session.js'
import type { Transport } from '../../src/peer/transport/transport.js'

export const tick = async (ms = 5): Promise<void> => await new Promise((resolve) => setTimeout(resolve, ms))

/** Two sessions over `link` (default MemoryTransport.pair()), handshake done: a client and a server serving `server` */
export async function pair (server = new MemoryStore(), opts: { serverOpts?: Partial<Parameters<typeof PeerSession.open>[0]>, clientOpts?: Partial<Parameters<typeof PeerSession.open>[0]>, link?: [Transport, Transport] } = {}): Promise<{ client: PeerSession, server: PeerSession, store: MemoryStore }> {
  const [a, b] = opts.link ?? MemoryTransport.pair({ a: 'client', b: 'server' })
  const [client, srv] = await Promise.all([
    PeerSession.open({ transport: a, store: new MemoryStore(), identity: randomIdentity('client'), ...opts.clientOpts }),
    PeerSession.open({ transport: b, store: server, identity: randomIdentity('server'), ...opts.serverOpts })
  ])
  return { client, server: srv, store: server }
}

/** the blocks `session` receives from now on, as they come */
export function blocksOf (session: PeerSession): ReceivedBlock[] {
  const out: ReceivedBlock[] = []
  session.onBlock((b) => out.push(b))
  return out
}
