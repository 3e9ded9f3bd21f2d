import { describe, expect, it } from 'vitest'
import { MemoryStore } from '../../src/objects/memory-store.js'
import type { ObjectId, ObjectType } from '../../src/objects/id.js'
import { MemoryTransport } from '../../src/peer/transport/memory-transport.js'
import { decodeMessage, encodeMessage, type HelloCertificate, type HelloMessage, type Message } from '../../src/peer/wire/messages.js'
import { PeerSession, randomIdentity } from '../../src/peer/session/session.js'
import type { MayServe } from '../../src/peer/session/session-options.js'
import { helloFrame } from './hello-frame.js'

/**
 * A refusal by the ACL (mayServe → 'access-denied') reaches the requester as DONT_HAVE_REASON
 * when it lists the `dont-have-reason` capability, as a plain DONT_HAVE otherwise; the serving
 * session stays open and keeps serving the rest.
 */

const tick = async (ms = 10): Promise<void> => await new Promise((resolve) => setTimeout(resolve, ms))
const certificate: HelloCertificate = { team: 't', member: { name: 'raw', publicKey: 'ab'.repeat(32), roles: ['lead'] }, signature: 'cd'.repeat(64) }

async function servingWith (mayServe: MayServe, capabilities?: string[]): Promise<{ send: (msg: Message) => Promise<void>, received: Message[], server: PeerSession, secret: ObjectId, open: ObjectId, preview: ObjectId }> {
  const store = new MemoryStore()
  const secret = await store.put('chunk', Uint8Array.of(1, 2, 3))
  const open = await store.put('chunk', Uint8Array.of(4, 5, 6))
  const preview = await store.put('preview', Uint8Array.of(7))
  const [raw, b] = MemoryTransport.pair({ a: 'raw', b: 'server' })
  const received: Message[] = []
  raw.onFrame((f) => received.push(decodeMessage(f)))
  const opening = PeerSession.open({ transport: b, store, identity: randomIdentity('server'), mayServe })
  // a HELLO claiming a certificate the server never verified
  await raw.send(helloFrame(randomIdentity('raw'), 'ab'.repeat(32), null, { certificate, ...(capabilities !== undefined ? { capabilities } : {}) }))
  const server = await opening
  return { send: async (msg) => await raw.send(encodeMessage(msg)), received, server, secret, open, preview }
}

describe('refusing objects with a reason', () => {
  it('says access-denied to a peer that understands it, serves the rest, and stays open', async () => {
    const asked: Array<{ id: ObjectId, type: ObjectType | undefined, roles: string[] | undefined }> = []
    let secretId = ''
    const { send, received, server, secret, open, preview } = await servingWith((id, remote: HelloMessage, type) => {
      asked.push({ id, type, roles: remote.certificate?.member.roles })
      return id === secretId ? 'access-denied' : true
    })
    secretId = secret
    await send({ type: 'WANT', ids: [secret, open, preview], mode: 'block', priority: 1 })
    await send({ type: 'WANT', ids: [secret, open], mode: 'have', priority: 1 })
    await tick()
    const refusals = received.filter((m) => m.type === 'DONT_HAVE_REASON')
    expect(refusals).toEqual([{ type: 'DONT_HAVE_REASON', reason: 'access-denied', ids: [secret] }, { type: 'DONT_HAVE_REASON', reason: 'access-denied', ids: [secret] }])
    expect(received.filter((m) => m.type === 'DONT_HAVE')).toEqual([])
    expect(received.find((m) => m.type === 'HAVE')).toEqual({ type: 'HAVE', ids: [open] })
    const blocks = received.flatMap((m) => m.type === 'BATCH' ? m.blocks : m.type === 'BLOCK' ? [m] : []).map((b) => b.id)
    expect(blocks.sort()).toEqual([open, preview].sort())
    // the type is known when serving a block, not when answering HAVE; an unverified certificate proves no role
    expect(asked.filter((a) => a.id === secret).map((a) => a.type)).toEqual(['chunk', undefined])
    expect(asked.find((a) => a.id === preview)?.type).toBe('preview')
    expect(asked.every((a) => a.roles === undefined)).toBe(true)
    expect(server.closed).toBe(false)
    server.close()
  })

  it('a peer without the capability gets a plain DONT_HAVE', async () => {
    let secretId = ''
    const { send, received, server, secret } = await servingWith((id) => id === secretId ? 'access-denied' : true, ['done', 'end-of-refs', 'goodbye'])
    secretId = secret
    await send({ type: 'WANT', ids: [secret], mode: 'block', priority: 1 })
    await tick()
    expect(received.filter((m) => m.type === 'DONT_HAVE' || m.type === 'DONT_HAVE_REASON')).toEqual([{ type: 'DONT_HAVE', ids: [secret] }])
    expect(server.closed).toBe(false)
    server.close()
  })

  it('the requester hears the reason; an unknown reason reads as a plain DONT_HAVE', async () => {
    const store = new MemoryStore()
    const secret = await store.put('chunk', Uint8Array.of(9))
    const [a, b] = MemoryTransport.pair({ a: 'client', b: 'server' })
    const [client, server] = await Promise.all([
      PeerSession.open({ transport: a, store: new MemoryStore(), identity: randomIdentity('client') }),
      PeerSession.open({ transport: b, store, identity: randomIdentity('server'), mayServe: () => 'access-denied' })
    ])
    const heard: Array<[ObjectId[], string | undefined]> = []
    client.onDontHave((ids, reason) => heard.push([ids, reason]))
    await client.want([secret], 'block', 1)
    await tick()
    // a newer peer's reason byte 9
      const frame = encodeMessage({ type: 'DONT_HAVE_REASON', reason: 'access-denied', ids: [secret] })
    frame[2] = 9
    await b.send(frame)
    await tick()
    expect(heard).toEqual([[[secret], 'access-denied'], [[secret], undefined]])
    client.close()
    server.close()
  })
})
