import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { ManualClock } from '../../src/clock.js'
import { MemoryStore } from '../../src/objects/memory-store.js'
import type { ObjectId } from '../../src/objects/id.js'
import { Allowance, MAX_PENDING_HAVE_QUERIES, MAX_QUEUED_WANTS, MAX_UNKNOWN_MESSAGES, MISSED_WANTS_BURST, MISSED_WANTS_PER_SECOND } from '../../src/peer/session/flood-guard.js'
import { MemoryTransport } from '../../src/peer/transport/memory-transport.js'
import { FRAME_VERSION, MAX_IDS_PER_MESSAGE, encodeMessage } from '../../src/peer/wire/messages.js'
import { PeerSession, randomIdentity } from '../../src/peer/session/session.js'
import { Swarm } from '../../src/peer/swarm/swarm.js'
import { MAX_FRAME } from '../../src/peer/transport/transport.js'

const bogus = (n: number): ObjectId[] => Array.from({ length: n }, () => randomBytes(32).toString('hex'))
const tick = async (): Promise<void> => await new Promise((resolve) => setImmediate(resolve))
/** Lets the in-memory links and both sessions run until nothing changes for a few turns of the event loop. */
async function settle (probe: () => number): Promise<void> {
  let last = -1
  let still = 0
  while (still < 20) {
    await tick()
    const now = probe()
    still = now === last ? still + 1 : 0
    last = now
  }
}

/** A server session over `store` (clock injected) and a remote session talking to it. */
async function connect (store: MemoryStore, clock?: ManualClock): Promise<{ server: Promise<PeerSession>, remote: PeerSession }> {
  const [a, b] = MemoryTransport.pair({ a: 'remote', b: 'server' })
  const server = PeerSession.open({ transport: b, store, identity: randomIdentity('server'), clock })
  const remote = await PeerSession.open({ transport: a, store: new MemoryStore(), identity: randomIdentity('remote') })
  return { server, remote }
}

async function chunks (store: MemoryStore, count: number): Promise<ObjectId[]> {
  const ids: ObjectId[] = []
  for (let i = 0; i < count; i++) ids.push(await store.put('chunk', randomBytes(100_000)))
  return ids
}

describe('a peer flooding the serving peer', () => {
  it('is dropped with E_PROTOCOL (flood) once it queues more block WANTs than the cap, and the other peer is served in full', async () => {
    const store = new MemoryStore()
    const ids = await chunks(store, 20)
    const flooder = await connect(store)
    const honest = await connect(store)
    const closed = new Promise((resolve) => flooder.remote.onClose(resolve))
    const serverClosed = new Promise((resolve) => { void flooder.server.then((s) => s.onClose(resolve)) })
    for (let sent = 0; sent <= MAX_QUEUED_WANTS && !flooder.remote.closed; sent += MAX_IDS_PER_MESSAGE) {
      await flooder.remote.want(bogus(MAX_IDS_PER_MESSAGE), 'block', 255).catch(() => {})
    }
    await closed
    expect(await serverClosed).toMatchObject({ code: 'E_PROTOCOL', data: { flood: true } })
    const received = new Set<ObjectId>()
    honest.remote.onBlock((block) => received.add(block.id))
    await honest.remote.want(ids, 'block', 1)
    await settle(() => received.size)
    expect(received).toEqual(new Set(ids))
  })

  it('has its misses answered at a paced rate (manual clock) while another peer is served at once', async () => {
    const store = new MemoryStore()
    const ids = await chunks(store, 10)
    const clock = new ManualClock()
    const flooder = await connect(store, clock)
    let answered = 0
    flooder.remote.onDontHave((missing) => { answered += missing.length })
    await flooder.remote.want(bogus(4000), 'block', 255)
    await settle(() => answered)
    // the burst is answered at once, the rest waits for the clock
    expect(answered).toBe(MISSED_WANTS_BURST)
    const honest = await connect(store, clock)
    const received = new Set<ObjectId>()
    honest.remote.onBlock((block) => received.add(block.id))
    await honest.remote.want(ids, 'block', 1)
    await settle(() => received.size)
    expect(received.size).toBe(ids.length)
    for (let step = 0; step < 10; step++) {
      clock.advance(100)
      await settle(() => answered)
    }
    // one second later: the pace's worth more (give or take the one miss each wait may round)
    expect(answered).toBeGreaterThanOrEqual(MISSED_WANTS_BURST + MISSED_WANTS_PER_SECOND - 20)
    expect(answered).toBeLessThanOrEqual(MISSED_WANTS_BURST + MISSED_WANTS_PER_SECOND + 20)
    expect(flooder.remote.closed).toBe(false)
    flooder.remote.close()
    honest.remote.close()
  })

  it('is dropped when more HAVE queries wait than the cap', async () => {
    const clock = new ManualClock()
    const flooder = await connect(new MemoryStore(), clock)
    const serverClosed = new Promise((resolve) => { void flooder.server.then((s) => s.onClose(resolve)) })
    const ids = bogus(MAX_IDS_PER_MESSAGE)
    for (let sent = 0; sent <= MAX_PENDING_HAVE_QUERIES && !flooder.remote.closed; sent += ids.length) await flooder.remote.want(ids, 'have', 0).catch(() => {})
    expect(await serverClosed).toMatchObject({ code: 'E_PROTOCOL', data: { flood: true } })
  })

  it('is dropped after too many frames of unknown message ids, and at the first oversized frame', async () => {
    const unknown = await connect(new MemoryStore())
    const unknownClosed = new Promise((resolve) => { void unknown.server.then((s) => s.onClose(resolve)) })
    for (let i = 0; i <= MAX_UNKNOWN_MESSAGES && !unknown.remote.transport.closed; i++) await unknown.remote.transport.send(Uint8Array.from([FRAME_VERSION, 200, 1, 2, 3])).catch(() => {})
    expect(await unknownClosed).toMatchObject({ code: 'E_PROTOCOL', data: { flood: true } })
    expect((await unknown.server).unknownMessages).toBe(MAX_UNKNOWN_MESSAGES)

    // MemoryTransport refuses to send an oversized frame, so it is delivered by hand, as a broken transport would
    const [a, b] = MemoryTransport.pair()
    const server = PeerSession.open({ transport: b, store: new MemoryStore(), identity: randomIdentity('server') })
    const remote = await PeerSession.open({ transport: a, store: new MemoryStore(), identity: randomIdentity('remote') })
    const session = await server
    const closed = new Promise((resolve) => session.onClose(resolve));
    (b as unknown as { deliver: (f: Uint8Array) => void }).deliver(new Uint8Array(MAX_FRAME + 1).fill(1))
    expect(await closed).toMatchObject({ code: 'E_FRAME_LENGTH' })
    remote.close()
  })

  it('sending endless BLOCK fragments nobody asked for is dropped once they would hold more than the pending cap', async () => {
    const { remote, server } = await connect(new MemoryStore())
    const session = await server
    const closed = new Promise((resolve) => session.onClose(resolve))
    const bytes = new Uint8Array(60_000)
    for (let i = 0; i < 5000 && !remote.transport.closed; i++) {
      // 1 MiB objects that never complete: each reserves its whole length at the receiver
      await remote.transport.send(encodeMessage({ type: 'BLOCK', id: randomBytes(32).toString('hex'), objectType: 0, encoding: 0, rawLength: 1 << 20, totalLength: 1 << 20, offset: 0, bytes })).catch(() => {})
    }
    expect(await closed).toMatchObject({ code: 'E_PROTOCOL' })
  })
})

describe('a peer holding requests without answering', () => {
  it('is dropped after the request timeout, so the fetch can go on with the others', async () => {
    const source = new MemoryStore()
    const ids = await chunks(source, 12)
    /** serves everything but one id, which it never answers (and it keeps the connection up) */
    class HoldingStore extends MemoryStore {
      override async getEncoded (id: ObjectId): ReturnType<MemoryStore['getEncoded']> {
        if (id === ids[5]) return await new Promise(() => {})
        return await source.getEncoded(id)
      }
    }
    const dst = new MemoryStore()
    const swarm = new Swarm({ store: dst, stallTimeoutMs: 60_000, requestTimeoutMs: 300 })
    const [a, b] = MemoryTransport.pair()
    void PeerSession.open({ transport: b, store: new HoldingStore(), identity: randomIdentity('holder') })
    swarm.addPeer(await PeerSession.open({ transport: a, store: dst, identity: randomIdentity('me') }))
    const result = await swarm.fetch(ids.map((id) => ({ id, priority: 1 })))
    // what it served arrived; the held object (and what queued behind it) is left to other peers (none here) rather than waited for forever
    expect(result.missing).toContain(ids[5])
    expect(result.missing.length).toBeLessThan(ids.length)
    expect(swarm.dropped).toEqual([expect.objectContaining({ code: 'E_TIMEOUT' })])
    expect(swarm.dropped[0].message).toContain('left a request unanswered')
  })
})

describe('Allowance', () => {
  it('starts full, refills at its rate, waits when used up, and lets waiters go when closed', async () => {
    const clock = new ManualClock()
    const allowance = new Allowance(clock, 10, 5)
    for (let i = 0; i < 5; i++) expect(allowance.trySpend(1)).toBe(true)
    expect(allowance.trySpend(1)).toBe(false)
    clock.advance(100)
    expect(allowance.trySpend(1)).toBe(true)
    let spent = false
    const waiting = allowance.spend(1).then(() => { spent = true })
    await tick()
    expect(spent).toBe(false)
    clock.advance(200)
    await waiting
    expect(spent).toBe(true)
    void allowance.spend(100)
    const last = allowance.spend(1)
    allowance.close()
    await last
    expect(allowance.trySpend(1000)).toBe(true)
  })
})
