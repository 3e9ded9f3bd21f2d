import { describe, expect, it } from 'vitest'
import { MAX_STREAM_FRAME, StreamTransport } from '../../src/peer/transport/tcp-transport.js'
import { LARGE_FRAME } from '../../src/peer/transport/transport.js'
import { throttleTransport, type FrameBucket } from '../../src/peer/transport/throttled-transport.js'
import { BlockServer } from '../../src/peer/session/block-server.js'
import { PeerLedger } from '../../src/peer/session/ledger.js'
import { BlockAssembler, decodeMessage, type BlockMessage } from '../../src/peer/wire/messages.js'
import { MemoryStore } from '../../src/objects/memory-store.js'
import { hashObject } from '../../src/objects/id.js'
import { pseudoRandomBytes } from '../net/helpers.js'
import { useSocketPairs } from '../helpers/socket-pair.js'

/**
 * The serving side's frames encoded straight into the stream transport's output buffer
 * (StreamTransport.sendInto), over a real TCP socket pair on 127.0.0.1.
 */

const socketPair = useSocketPairs()

async function transportPair (): Promise<[StreamTransport, StreamTransport]> {
  const [client, other] = await socketPair()
  return [new StreamTransport(client, 'sender'), new StreamTransport(other, 'receiver')]
}

describe('StreamTransport.sendInto', () => {
  it('frames written in place arrive whole and in order with send() frames around them; a refused encode sends nothing', async () => {
    const [a, b] = await transportPair()
    const got: Buffer[] = []
    b.onFrame((f) => got.push(Buffer.from(f)))
    const big = pseudoRandomBytes('big', LARGE_FRAME)
    await a.send(Buffer.from('first'))
    await a.sendInto(LARGE_FRAME, (into) => { into.set(big); return big.byteLength })
    // the reservation is an upper bound: a shorter frame takes only what it wrote
    await a.sendInto(1000, (into) => { into.set([1, 2, 3]); return 3 })
    await a.sendInto(0, () => 0)
    // an encoder that claims more than it was given, or throws, leaves no trace on the wire
    await expect(a.sendInto(10, () => 11)).rejects.toMatchObject({ code: 'E_BAD_ARGUMENT' })
    await expect(a.sendInto(10, () => 2.5)).rejects.toMatchObject({ code: 'E_BAD_ARGUMENT' })
    await expect(a.sendInto(10, () => { throw new Error('encoder failed') })).rejects.toThrow('encoder failed')
    await a.send(Buffer.from('last'))
    await expect.poll(() => got.length).toBe(5)
    expect(got[0].toString()).toBe('first')
    expect(got[1].equals(big)).toBe(true)
    expect([...got[2]]).toEqual([1, 2, 3])
    expect(got[3].length).toBe(0)
    expect(got[4].toString()).toBe('last')
  })

  it('refuses a frame above the limit (E_FRAME_LENGTH) and any frame once closed (E_PEER_LOST)', async () => {
    const [a] = await transportPair()
    await expect(a.sendInto(MAX_STREAM_FRAME + 1, () => 0)).rejects.toMatchObject({ code: 'E_FRAME_LENGTH' })
    await expect(a.sendInto(-1, () => 0)).rejects.toMatchObject({ code: 'E_BAD_ARGUMENT' })
    a.close()
    await expect(a.sendInto(10, () => 1)).rejects.toMatchObject({ code: 'E_PEER_LOST' })
  })
})

describe('sendInto through the transfer schedule (throttleTransport)', () => {
  it('a frame the bucket takes at once leaves in place; one that must wait is sent, intact, only once its tokens are there', async () => {
    const [inner, b] = await transportPair()
    const got: Buffer[] = []
    b.onFrame((f) => got.push(Buffer.from(f)))
    let admit = true
    let release: (() => void) | undefined
    const taken: number[] = []
    const bucket: FrameBucket = {
      tryTake: (bytes) => { if (admit) taken.push(bytes); return admit },
      take: async (bytes) => { await new Promise<void>((resolve) => { release = resolve }); taken.push(bytes) }
    }
    const t = throttleTransport(inner, { upContent: bucket, upControl: bucket })
    expect(t.sendInto).toBeDefined()
    await t.sendInto!(100, (into) => { into.set([1, 2]); return 2 })
    admit = false
    const waiting = t.sendInto!(100, (into) => { into.set([3, 4, 5]); return 3 })
    // the withdrawn frame's space is free again: what the inner transport sends next does not carry it
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(got.length).toBe(1)
    expect(release).toBeDefined()
    release!()
    await waiting
    await expect.poll(() => got.length).toBe(2)
    expect([...got[0]]).toEqual([1, 2])
    expect([...got[1]]).toEqual([3, 4, 5])
    expect(taken).toEqual([2, 3])
    // a transport without sendInto gets none through the throttle either
    const memoryLike = { send: async () => {}, onFrame: () => {}, onClose: () => {}, close: () => {}, closed: false, remoteLabel: 'm' }
    expect(throttleTransport(memoryLike, {}).sendInto).toBeUndefined()
  })
})

describe('BlockServer over a stream transport', () => {
  it('serves objects of every size in LARGE_BATCH frames encoded in place; the receiver reassembles each exactly, and the ledger counts them', async () => {
    const [a, b] = await transportPair()
    const store = new MemoryStore()
    const bodies = [pseudoRandomBytes('a', 256 * 1024), pseudoRandomBytes('b', 70_000), Uint8Array.of(7), pseudoRandomBytes('c', 3 * 1024 * 1024), new Uint8Array(0)]
    const ids: string[] = []
    for (const body of bodies) ids.push(await store.put('chunk', body))
    const assembler = new BlockAssembler()
    const received = new Map<string, Uint8Array>()
    const frameTypes = new Set<string>()
    b.onFrame((frame) => {
      const msg = decodeMessage(frame)
      frameTypes.add(msg.type)
      const blocks: BlockMessage[] = msg.type === 'BLOCK' ? [msg] : msg.type === 'LARGE_BATCH' || msg.type === 'BATCH' ? msg.blocks : []
      for (const block of blocks) {
        const whole = assembler.add(block)
        if (whole !== undefined) received.set(whole.id, new Uint8Array(whole.bytes))
      }
    })
    const ledger = new PeerLedger('receiver')
    const server = new BlockServer({
      store,
      transport: a,
      ledger,
      send: async () => {},
      dontHave: async () => {},
      open: () => !a.closed,
      mayServe: async () => true,
      maxFrame: () => LARGE_FRAME
    })
    for (const id of ids) server.queue.add(id, 1)
    await server.serve()
    await expect.poll(() => received.size).toBe(ids.length)
    ids.forEach((id, i) => {
      expect(hashObject('chunk', received.get(id)!)).toBe(id)
      expect(received.get(id)!.byteLength).toBe(bodies[i].byteLength)
    })
    expect(frameTypes.has('LARGE_BATCH')).toBe(true)
    expect(ledger.objectsSent).toBe(ids.length)
    expect(ledger.bytesSent).toBe(bodies.reduce((n, body) => n + body.byteLength, 0))
  })
})
