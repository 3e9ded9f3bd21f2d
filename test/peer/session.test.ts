import { describe, expect, it } from 'vitest'
import { GasError, isGasError } from '../../src/errors.js'
import { MemoryStore } from '../../src/objects/memory-store.js'
import { compressChunk } from '../../src/objects/compression.js'
import { hashObject } from '../../src/objects/id.js'
import type { EncodedObject } from '../../src/objects/store.js'
import { MemoryTransport } from '../../src/peer/transport/memory-transport.js'
import { SimulatedLink } from '../../src/peer/transport/simulated-link.js'
import { FRAME_VERSION, encodeMessage, fragmentBlock, type HelloMessage } from '../../src/peer/wire/messages.js'
import { PeerSession, randomIdentity, type ReceivedBlock } from '../../src/peer/session/session.js'
import { helloFrame } from './hello-frame.js'
import type { Transport } from '../../src/peer/transport/transport.js'
import { pseudoRandomBytes } from '../net/helpers.js'

const tick = async (ms = 5): Promise<void> => await new Promise((resolve) => setTimeout(resolve, ms))

async function pair (server = new MemoryStore(), opts: { serverOpts?: Partial<Parameters<typeof PeerSession.open>[0]>, clientOpts?: Partial<Parameters<typeof PeerSession.open>[0]> } = {}): Promise<{ client: PeerSession, server: PeerSession, store: MemoryStore }> {
  const [a, b] = MemoryTransport.pair({ a: 'client', b: 'server' })
  const [client, srv] = await Promise.all([
    PeerSession.open({ transport: a, store: new MemoryStore(), identity: randomIdentity('client'), ...opts.clientOpts }),
    PeerSession.open({ transport: b, store: server, identity: randomIdentity('server'), ...opts.serverOpts })
  ])
  return { client, server: srv, store: server }
}

/** A server session and a raw transport to poke it with arbitrary frames. */
async function rawPeer (store = new MemoryStore()): Promise<{ raw: Transport, server: PeerSession, frames: Uint8Array[], closed: Promise<GasError | undefined> }> {
  const [raw, b] = MemoryTransport.pair()
  const frames: Uint8Array[] = []
  raw.onFrame((f) => frames.push(f))
  const opening = PeerSession.open({ transport: b, store, identity: randomIdentity('server') })
  const id = randomIdentity('raw')
  await raw.send(helloFrame(id, 'ab'.repeat(32)))
  const server = await opening
  const closed = new Promise<GasError | undefined>((resolve) => server.onClose(resolve))
  return { raw, server, frames, closed }
}

function blocksOf (session: PeerSession): ReceivedBlock[] {
  const out: ReceivedBlock[] = []
  session.onBlock((b) => out.push(b))
  return out
}

describe('PeerSession handshake', () => {
  it('exchanges HELLO and knows the remote by name', async () => {
    const { client, server } = await pair()
    expect(client.name).toBe('server')
    expect(server.name).toBe('client')
    expect(client.remote.signature).toBeNull()
    client.close()
  })

  it('signs and verifies the challenge when configured', async () => {
    const seen: string[] = []
    const sign = ({ remoteNonce, ourNonce }: { remoteNonce: string, ourNonce: string }): { signature: string, certificate: null } => ({ signature: remoteNonce + ourNonce, certificate: null })
    const verify = (hello: HelloMessage, nonce: string): void => {
      seen.push(hello.signature!)
      // both nonces are bound: the verifier's and the signer's own, as sent in its first HELLO
      if (hello.signature !== nonce + hello.nonce) throw new GasError('E_AUTH', 'bad signature')
    }
    const { client, server } = await pair(new MemoryStore(), { serverOpts: { sign, verify }, clientOpts: { sign, verify } })
    expect(seen).toHaveLength(2)
    expect(client.remote.signature).not.toBeNull()
    expect(server.remote.signature).not.toBeNull()
    client.close()
  })

  it('a failed verification ends the handshake with E_AUTH', async () => {
    const [a, b] = MemoryTransport.pair()
    const results = await Promise.allSettled([
      PeerSession.open({ transport: a, store: new MemoryStore(), identity: randomIdentity('a'), sign: () => ({ signature: '00'.repeat(64), certificate: null }) }),
      PeerSession.open({ transport: b, store: new MemoryStore(), identity: randomIdentity('b'), verify: () => { throw new GasError('E_AUTH', 'not a member') } })
    ])
    expect(results[1].status).toBe('rejected')
    expect((results[1] as PromiseRejectedResult).reason.code).toBe('E_AUTH')
  })

  it('a signing peer talks to one that does not verify', async () => {
    const { client, server } = await pair(new MemoryStore(), { clientOpts: { sign: () => ({ signature: '11'.repeat(64), certificate: null }) } })
    await tick()
    expect(server.closed).toBe(false)
    client.close()
  })

  it('times out when the remote never says HELLO', async () => {
    const [a] = MemoryTransport.pair()
    await expect(PeerSession.open({ transport: a, store: new MemoryStore(), identity: randomIdentity('a'), handshakeTimeoutMs: 30 })).rejects.toMatchObject({ code: 'E_TIMEOUT' })
  })

  it('refuses a message before HELLO and a connection to itself', async () => {
    const [raw, b] = MemoryTransport.pair()
    const opening = PeerSession.open({ transport: b, store: new MemoryStore(), identity: randomIdentity('b') })
    await raw.send(encodeMessage({ type: 'HAVE', ids: [] }))
    await expect(opening).rejects.toMatchObject({ code: 'E_PROTOCOL' })

    const [x, y] = MemoryTransport.pair()
    const me = randomIdentity('me')
    const both = await Promise.allSettled([
      PeerSession.open({ transport: x, store: new MemoryStore(), identity: me }),
      PeerSession.open({ transport: y, store: new MemoryStore(), identity: me })
    ])
    expect(both.every((r) => r.status === 'rejected')).toBe(true)
  })

  it('REFS right behind HELLO in the same tick is kept for after the handshake', async () => {
    const [raw, b] = MemoryTransport.pair()
    const opening = PeerSession.open({ transport: b, store: new MemoryStore(), identity: randomIdentity('b') })
    void raw.send(helloFrame(randomIdentity('raw'), 'ab'.repeat(32)))
    void raw.send(encodeMessage({ type: 'END_OF_REFS' }))
    const session = await opening
    expect(session.remoteRefs).toEqual([])
  })

  it('a second unsigned HELLO ends the session', async () => {
    const { raw, closed } = await rawPeer()
    const id = randomIdentity('raw')
    await raw.send(helloFrame(id, 'cd'.repeat(32)))
    expect((await closed)?.code).toBe('E_PROTOCOL')
  })
})

describe('PeerSession: a bad message ends the session with a typed error, never the process', () => {
  const cases: Array<[string, Uint8Array, string]> = [
    ['unknown frame version', Uint8Array.from([9, 3]), 'E_PROTOCOL_VERSION'],
    ['truncated WANT', Uint8Array.from([FRAME_VERSION, 3, 1, 0, 0, 5]), 'E_FRAME_LENGTH'],
    ['empty frame', new Uint8Array(0), 'E_FRAME_LENGTH'],
    ['trailing bytes after HAVE', Uint8Array.from([FRAME_VERSION, 4, 0, 0, 7]), 'E_FRAME_LENGTH'],
    ['BLOCK with an unknown object type', encodeMessage({ type: 'BLOCK', id: 'a'.repeat(64), objectType: 200, encoding: 0, rawLength: 3, totalLength: 3, offset: 0, bytes: Uint8Array.from([1, 2, 3]) }), 'E_CORRUPT_OBJECT'],
    ['BATCH with an unknown object type in its second block', encodeMessage({
      type: 'BATCH',
      blocks: [
        { type: 'BLOCK', id: 'a'.repeat(64), objectType: 0, encoding: 0, rawLength: 6, totalLength: 6, offset: 0, bytes: Uint8Array.from([1, 2, 3]) },
        { type: 'BLOCK', id: 'b'.repeat(64), objectType: 200, encoding: 0, rawLength: 3, totalLength: 3, offset: 0, bytes: Uint8Array.from([1, 2, 3]) }
      ]
    }), 'E_CORRUPT_OBJECT'],
    ['BATCH carrying a WANT', Uint8Array.from([FRAME_VERSION, 8, 0, 1, 3, 0, 4, 1, 0, 0, 0]), 'E_PROTOCOL']
  ]
  for (const [what, frame, code] of cases) {
    it(what, async () => {
      const { raw, server, closed } = await rawPeer()
      await raw.send(frame)
      const err = await closed
      expect(err).toBeInstanceOf(GasError)
      expect(err?.code).toBe(code)
      expect(server.closed).toBe(true)
      expect(raw.closed || await new Promise((resolve) => raw.onClose(() => resolve(true)))).toBe(true)
    })
  }

  it('the serving process keeps serving other peers after one session failed', async () => {
    const store = new MemoryStore()
    const id = await store.put('chunk', pseudoRandomBytes('x', 1000))
    const bad = await rawPeer(store)
    await bad.raw.send(Uint8Array.from([FRAME_VERSION, 4, 0, 0, 7]))
    await bad.closed
    const { client } = await pair(store)
    const blocks = blocksOf(client)
    await client.want([id], 'block', 1)
    await tick(20)
    expect(blocks.map((b) => b.id)).toEqual([id])
  })

  it('too many queued block requests is a protocol error', async () => {
    const stuck = new MemoryStore()
    stuck.getEncoded = async () => await new Promise(() => {})
    const { raw, closed } = await rawPeer(stuck)
    for (let m = 0; m < 40; m++) {
      const ids = Array.from({ length: 2000 }, (_, i) => hashObject('chunk', Uint8Array.of(i & 255, i >> 8, m)))
      await raw.send(encodeMessage({ type: 'WANT', ids, mode: 'block', priority: 0 })).catch(() => {})
    }
    expect((await closed)?.code).toBe('E_PROTOCOL')
  })
})

describe('PeerSession serving', () => {
  it('answers WANT have with HAVE and DONT_HAVE', async () => {
    const { client, store } = await pair()
    const have = await store.put('chunk', Uint8Array.of(1, 2, 3))
    const missing = hashObject('chunk', Uint8Array.of(9))
    const got: Array<[string, string[]]> = []
    client.onHave((ids) => got.push(['have', ids]))
    client.onDontHave((ids) => got.push(['dont', ids]))
    await client.want([have, missing], 'have', 0)
    await tick()
    expect(got).toEqual([['have', [have]], ['dont', [missing]]])
  })

  it('serves blocks (fragmented when large, zstd as stored), DONT_HAVE for missing, and counts payload both ways', async () => {
    const { client, server, store } = await pair()
    const big = pseudoRandomBytes('big', 200_000)
    const bigId = await store.put('chunk', big)
    const text = Buffer.from('a'.repeat(100_000))
    const packed = compressChunk(text)
    const textId = hashObject('chunk', text)
    const encoded: EncodedObject = { type: 'chunk', encoding: packed.encoding, rawLength: text.length, bytes: packed.bytes }
    store.getEncoded = async (id) => id === textId ? encoded : await MemoryStore.prototype.getEncoded.call(store, id)
    store.has = async (id) => id === textId || store.objects.has(id)
    const missing = hashObject('chunk', Uint8Array.of(7))
    const blocks = blocksOf(client)
    const dont: string[] = []
    client.onDontHave((ids) => dont.push(...ids))
    await client.want([bigId, textId, missing], 'block', 5)
    await tick(30)
    expect(blocks.map((b) => b.id)).toEqual([bigId, textId])
    expect(blocks[1].object).toMatchObject({ encoding: 1, rawLength: text.length })
    expect(dont).toEqual([missing])
    const dst = new MemoryStore()
    for (const b of blocks) await dst.putEncoded(b.id, b.object)
    expect(Buffer.from((await dst.get(bigId)).body).equals(big)).toBe(true)
    expect(server.ledger.objectsSent).toBe(2)
    expect(server.ledger.bytesSent).toBe(big.length + packed.bytes.length)
    expect(client.ledger.bytesReceived).toBe(server.ledger.bytesSent)
    expect(client.ledger.wireBytesReceived).toBe(server.ledger.wireBytesSent)
  })

  it('packs fragments of consecutive objects into full frames (BATCH): N objects of ~65 KiB take about N frames, not 2N; ledger counts stay exact', async () => {
    const [a, b] = MemoryTransport.pair({ a: 'client', b: 'server' })
    const store = new MemoryStore()
    const [client, server] = await Promise.all([
      PeerSession.open({ transport: a, store: new MemoryStore(), identity: randomIdentity('client') }),
      PeerSession.open({ transport: b, store, identity: randomIdentity('server') })
    ])
    const n = 40
    const objects = Array.from({ length: n }, (_, i) => pseudoRandomBytes(`pack${i}`, 65_000 + (i * 7919) % 2_000))
    const ids: string[] = []
    for (const o of objects) ids.push(await store.put('chunk', o))
    const blockFrames: number[] = []
    a.onFrame((frame) => { if (frame[1] === 6 || frame[1] === 8) blockFrames.push(frame.byteLength) })
    const blocks = blocksOf(client)
    await client.want(ids, 'block', 1)
    for (let i = 0; i < 100 && blocks.length < n; i++) await tick(5)
    expect(blocks.map((blk) => blk.id)).toEqual(ids)
    const total = objects.reduce((sum, o) => sum + o.byteLength, 0)
    expect(blockFrames.length).toBeLessThanOrEqual(n + 2)
    expect(blockFrames.length).toBe(Math.ceil(total / (64 * 1024 - 110)))
    const dst = new MemoryStore()
    for (const blk of blocks) await dst.putEncoded(blk.id, blk.object)
    expect(server.ledger.objectsSent).toBe(n)
    expect(server.ledger.bytesSent).toBe(total)
    expect(client.ledger.objectsReceived).toBe(n)
    expect(client.ledger.bytesReceived).toBe(total)
    expect(client.ledger.wireBytesReceived).toBe(server.ledger.wireBytesSent)
    client.close()
  })

  it('a lone small object leaves at once, in a frame of its own size (a part-filled frame is sent when the queue is empty)', async () => {
    const { client, store } = await pair()
    const id = await store.put('tree', Uint8Array.of(1, 2, 3))
    const blocks = blocksOf(client)
    const sizes: number[] = []
    client.transport.onFrame((frame) => sizes.push(frame.byteLength))
    await client.want([id], 'block', 255)
    for (let i = 0; i < 10 && blocks.length === 0; i++) await new Promise((resolve) => setImmediate(resolve))
    expect(blocks.map((blk) => blk.id)).toEqual([id])
    expect(sizes).toEqual([48 + 3])
    client.close()
  })

  it('passes rawLength through: zstd bytes are not decoded on receive, the store verifies them', async () => {
    const { client, store } = await pair()
    const text = Buffer.from('b'.repeat(50_000))
    const packed = compressChunk(text)
    expect(packed.encoding).toBe(1)
    const id = hashObject('chunk', text)
    const lie = hashObject('chunk', Uint8Array.of(1))
    store.getEncoded = async (want) => want === id || want === lie ? { type: 'chunk', encoding: 1, rawLength: want === id ? text.length : 12, bytes: packed.bytes } : undefined
    const blocks = blocksOf(client)
    await client.want([id, lie], 'block', 1)
    await tick(20)
    expect(blocks.map((blk) => blk.object.rawLength)).toEqual([text.length, 12])
    const dst = new MemoryStore()
    await dst.putEncoded(id, blocks[0].object)
    await expect(dst.putEncoded(lie, blocks[1].object)).rejects.toMatchObject({ code: 'E_CORRUPT_OBJECT' })
    client.close()
  })

  it('serves the highest priority first and drops cancelled requests', async () => {
    const { client, store } = await pair()
    const ids: string[] = []
    for (let i = 0; i < 6; i++) ids.push(await store.put('chunk', pseudoRandomBytes(`p${i}`, 10_000)))
    const blocks = blocksOf(client)
    // one WANT per priority, sent before the server runs: it sees them all queued at once
    void client.want([ids[0], ids[1]], 'block', 10)
    void client.want([ids[2], ids[3]], 'block', 200)
    void client.want([ids[4], ids[5]], 'block', 100)
    void client.cancel([ids[5]])
    await tick(30)
    // the first request may already be on its way when the others arrive
    const order = blocks.map((b) => ids.indexOf(b.id))
    expect(order.filter((i) => i !== 0)).toEqual([2, 3, 4, 1])
  })

  it('stops a fragmented block when it is cancelled mid-way', async () => {
    const [a, b] = SimulatedLink.pair({ bandwidth: 20e6, latencyMs: 1, highWaterMark: 64 * 1024 })
    const store = new MemoryStore()
    const [client, server] = await Promise.all([
      PeerSession.open({ transport: a, store: new MemoryStore(), identity: randomIdentity('client') }),
      PeerSession.open({ transport: b, store, identity: randomIdentity('server') })
    ])
    const id = await store.put('chunk', pseudoRandomBytes('huge', 2_000_000))
    await client.want([id], 'block', 1)
    await tick(20)
    await client.cancel([id])
    await tick(150)
    expect(server.ledger.objectsSent).toBe(0)
    expect(server.ledger.bytesSent).toBeLessThan(2_000_000)
  })

  it('while packing a backlog: a later high-priority WANT overtakes it, and cancelled objects are not sent', async () => {
    const [a, b] = SimulatedLink.pair({ bandwidth: 20e6, latencyMs: 1, highWaterMark: 64 * 1024 })
    const store = new MemoryStore()
    const [client, server] = await Promise.all([
      PeerSession.open({ transport: a, store: new MemoryStore(), identity: randomIdentity('client') }),
      PeerSession.open({ transport: b, store, identity: randomIdentity('server') })
    ])
    const backlog: string[] = []
    for (let i = 0; i < 30; i++) backlog.push(await store.put('chunk', pseudoRandomBytes(`b${i}`, 65_000)))
    const urgent = await store.put('tree', Uint8Array.of(9, 9, 9))
    const blocks = blocksOf(client)
    await client.want(backlog, 'block', 1)
    await tick(15)
    await client.want([urgent], 'block', 200)
    await client.cancel(backlog.slice(20))
    for (let i = 0; i < 100 && !blocks.some((blk) => blk.id === backlog[19]); i++) await tick(10)
    await tick(30)
    const got = blocks.map((blk) => blk.id)
    expect(got).toContain(urgent)
    expect(got.indexOf(urgent)).toBeLessThan(got.indexOf(backlog[19]))
    // objects already on their way when the CANCEL arrived may still complete, the rest are not sent
    expect(got.filter((id) => backlog.slice(20).includes(id)).length).toBeLessThanOrEqual(2)
    expect(got.filter((id) => backlog.slice(0, 20).includes(id))).toEqual(backlog.slice(0, 20))
    expect(server.ledger.objectsSent).toBe(got.length)
    client.close()
  })

  it('does not serve what mayServe refuses, nor a corrupt local copy', async () => {
    const store = new MemoryStore()
    const secret = await store.put('chunk', Uint8Array.of(1))
    const rotten = await store.put('chunk', Uint8Array.of(2))
    store.getEncoded = async (id) => {
      if (id === rotten) throw GasError.corruptObject(id, 'disk')
      return await MemoryStore.prototype.getEncoded.call(store, id)
    }
    const { client } = await pair(store, { serverOpts: { mayServe: (id) => id !== secret } })
    const dont: string[] = []
    client.onDontHave((ids) => dont.push(...ids))
    const haves: string[] = []
    client.onHave((ids) => haves.push(...ids))
    await client.want([secret, rotten], 'block', 1)
    await client.want([secret], 'have', 1)
    await tick(20)
    expect(dont.sort()).toEqual([secret, secret, rotten].sort())
    expect(haves).toEqual([])
  })

  it('advertises refs in several REFS frames ended by an empty one; done is an empty CANCEL', async () => {
    const { client, server } = await pair()
    const refs = Array.from({ length: 1500 }, (_, i) => ({ name: `refs/builds/win64/${i}`, id: hashObject('version', Uint8Array.of(i & 255, i >> 8)) }))
    const waiting = client.waitRefs()
    const doneSeen = new Promise<void>((resolve) => client.onRemoteDone(resolve))
    await server.advertiseRefs(refs)
    await server.sendDone()
    expect(await waiting).toEqual(refs)
    await doneSeen
    expect(client.remoteDone).toBe(true)
    expect(await client.waitRefs()).toEqual(refs)
  })

  it('waitRefs times out or fails when the peer leaves', async () => {
    const { client, server } = await pair()
    await expect(client.waitRefs(20)).rejects.toMatchObject({ code: 'E_TIMEOUT' })
    const pending = client.waitRefs(5000)
    server.close()
    await expect(pending).rejects.toMatchObject({ code: 'E_PEER_LOST' })
    let late: unknown = 'unset'
    client.onClose((err) => { late = err })
    await tick()
    expect(isGasError(late, 'E_PEER_LOST')).toBe(true)
  })

  it('early frames behind the HELLO are held until the handshake finishes, then acted on', async () => {
    const store = new MemoryStore()
    const objectId = await store.put('chunk', Uint8Array.of(1, 2, 3))
    const [raw, b] = MemoryTransport.pair()
    let verified = false
    const opening = PeerSession.open({ transport: b, store, identity: randomIdentity('b'), verify: async () => { await tick(10); verified = true } })
    const id = randomIdentity('raw')
    const received: string[] = []
    raw.onFrame((frame) => { if (frame[1] === 6 || frame[1] === 8) received.push(verified ? 'block after verify' : 'block BEFORE verify') })
    await raw.send(helloFrame(id, 'ab'.repeat(32)))
    await raw.send(helloFrame(id, 'ab'.repeat(32), 'ee'.repeat(64)))
    await raw.send(encodeMessage({ type: 'WANT', ids: [objectId], mode: 'block', priority: 1 }))
    await raw.send(encodeMessage({ type: 'REFS', refs: [{ name: 'main', id: objectId }] }))
    await raw.send(encodeMessage({ type: 'END_OF_REFS' }))
    await raw.send(encodeMessage({ type: 'DONE' }))
    await tick(2)
    expect(received).toEqual([]) // nothing served while the remote is not verified
    const session = await opening
    expect(session.remote.signature).toBe('ee'.repeat(64))
    expect(session.remoteRefs).toEqual([{ name: 'main', id: objectId }])
    expect(session.remoteDone).toBe(true)
    await tick(10)
    expect(received).toEqual(['block after verify'])
  })
})
