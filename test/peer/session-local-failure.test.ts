import { describe, expect, it } from 'vitest'
import type { GasError } from '../../src/errors.js'
import { MemoryStore } from '../../src/objects/memory-store.js'
import { MemoryTransport } from '../../src/peer/transport/memory-transport.js'
import { PeerSession, randomIdentity } from '../../src/peer/session/session.js'

/** Our own failures (a disk error while reading or storing) end a session with their own cause, never as the peer's E_PROTOCOL. */

function errnoError (code: string, message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code, path: '/work/.gas/objects/pack/p1.pack' })
}

async function pair (server: MemoryStore): Promise<{ client: PeerSession, server: PeerSession, closed: (s: PeerSession) => Promise<GasError | undefined> }> {
  const [a, b] = MemoryTransport.pair({ a: 'client', b: 'server' })
  const [client, srv] = await Promise.all([
    PeerSession.open({ transport: a, store: new MemoryStore(), identity: randomIdentity('client') }),
    PeerSession.open({ transport: b, store: server, identity: randomIdentity('server') })
  ])
  return { client, server: srv, closed: async (s) => await new Promise((resolve) => s.onClose(resolve)) }
}

describe('PeerSession: our own failures keep their cause', () => {
  it('a disk read error while serving is E_IO with the cause, not E_PROTOCOL', async () => {
    const store = new MemoryStore()
    const id = await store.put('chunk', Uint8Array.of(1, 2, 3))
    const failure = errnoError('EIO', 'i/o error')
    store.getEncoded = async () => { throw failure }
    const { client, server, closed } = await pair(store)
    const serverClosed = closed(server)
    await client.want([id], 'block', 1)
    const err = await serverClosed
    expect(err?.code).toBe('E_IO')
    expect(err?.message).toMatch(/local failure/)
    expect(err?.cause).toBe(failure)
  })

  it('a full disk while storing a received block is E_DISK_FULL on our side', async () => {
    const store = new MemoryStore()
    const id = await store.put('chunk', Uint8Array.of(4, 5, 6))
    const { client, closed } = await pair(store)
    const failure = errnoError('ENOSPC', 'no space left on device')
    client.onBlock(() => { throw failure })
    const clientClosed = closed(client)
    await client.want([id], 'block', 1)
    const err = await clientClosed
    expect(err?.code).toBe('E_DISK_FULL')
    expect(err?.cause).toBe(failure)
  })

  it('any other exception of ours is E_INTERNAL naming it, with the cause', async () => {
    const store = new MemoryStore()
    const failure = new TypeError('cannot read properties of undefined')
    store.has = async () => { throw failure }
    const { client, server, closed } = await pair(store)
    const serverClosed = closed(server)
    await client.want(['a'.repeat(64)], 'have', 1)
    const err = await serverClosed
    expect(err?.code).toBe('E_INTERNAL')
    expect(err?.message).toMatch(/not the peer's.*cannot read properties/)
    expect(err?.cause).toBe(failure)
  })
})
