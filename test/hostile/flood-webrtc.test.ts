import { randomBytes } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import type { ObjectId } from '../../src/objects/id.js'
import { MemoryStore } from '../../src/objects/memory-store.js'
import { MAX_QUEUED_WANTS } from '../../src/peer/session/flood-guard.js'
import { MAX_IDS_PER_MESSAGE } from '../../src/peer/wire/messages.js'
import { PeerSession, randomIdentity } from '../../src/peer/session/session.js'
import type { Transport } from '../../src/peer/transport/transport.js'
import { connectPair } from '../../src/peer/transport/webrtc-transport.js'

const open: Transport[] = []
afterEach(() => { for (const t of open.splice(0)) t.close() })

async function link (store: MemoryStore): Promise<{ server: PeerSession, remote: PeerSession }> {
  const [a, b] = await connectPair()
  open.push(a, b)
  const [server, remote] = await Promise.all([
    PeerSession.open({ transport: b, store, identity: randomIdentity('server') }),
    PeerSession.open({ transport: a, store: new MemoryStore(), identity: randomIdentity('remote') })
  ])
  return { server, remote }
}

describe('a WANT flood over real WebRTC (127.0.0.1)', () => {
  it('drops the flooding peer and serves the other one in full meanwhile', async () => {
    const store = new MemoryStore()
    const ids: ObjectId[] = []
    for (let i = 0; i < 40; i++) ids.push(await store.put('chunk', randomBytes(200_000)))
    const flooder = await link(store)
    const honest = await link(store)
    const received = new Set<ObjectId>()
    const all = new Promise<void>((resolve) => honest.remote.onBlock((block) => { received.add(block.id); if (received.size === ids.length) resolve() }))
    const dropped = new Promise((resolve) => flooder.server.onClose(resolve))
    await honest.remote.want(ids, 'block', 1)
    for (let sent = 0; sent <= MAX_QUEUED_WANTS + MAX_IDS_PER_MESSAGE && !flooder.remote.closed; sent += MAX_IDS_PER_MESSAGE) {
      await flooder.remote.want(Array.from({ length: MAX_IDS_PER_MESSAGE }, () => randomBytes(32).toString('hex')), 'block', 255).catch(() => {})
    }
    expect(await dropped).toMatchObject({ code: 'E_PROTOCOL', data: { flood: true } })
    await all
    expect(received.size).toBe(ids.length)
    expect(honest.server.closed).toBe(false)
  })
})
