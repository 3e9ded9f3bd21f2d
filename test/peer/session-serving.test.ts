import { describe, expect, it } from 'vitest'
import { GasError, isGasError } from '../../src/errors.js'
import { MemoryStore } from '../../src/objects/memory-store.js'
import { compressChunk } from '../../src/objects/compression.js'
import { hashObject } from '../../src/objects/id.js'
import type { EncodedObject } from '../../src/objects/store.js'
import { MemoryTransport } from '../../src/peer/transport/memory-transport.js'
import { SimulatedLink } from '../../src/peer/transport/simulated-link.js'
import { encodeMessage } from '../../src/peer/wire/messages.js'
import { PeerSession, randomIdentity } from '../../src/peer/session/session.js'
import { helloFrame } from './hello-frame.js'
import { pseudoRandomBytes } from '../net/helpers.js'
import { blocksOf, pair, tick } from './session-pair.js'

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
    const link = MemoryTransport.pair({ a: 'client', b: 'server' })
    const [a] = link
    const { client, server, store } = await pair(new MemoryStore(), { link })
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
    const { client, server, store } = await pair(new MemoryStore(), { link: SimulatedLink.pair({ bandwidth: 20e6, latencyMs: 1, highWaterMark: 64 * 1024 }) })
    const id = await store.put('chunk', pseudoRandomBytes('huge', 2_000_000))
    await client.want([id], 'block', 1)
    await tick(20)
    await client.cancel([id])
    await tick(150)
    expect(server.ledger.objectsSent).toBe(0)
    expect(server.ledger.bytesSent).toBeLessThan(2_000_000)
  })

  it('while packing a backlog: a later high-priority WANT overtakes it, and cancelled objects are not sent', async () => {
    const { client, server, store } = await pair(new MemoryStore(), { link: SimulatedLink.pair({ bandwidth: 20e6, latencyMs: 1, highWaterMark: 64 * 1024 }) })
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
