import { describe, expect, it } from 'vitest'
import { MemoryStore } from '../../src/objects/memory-store.js'
import { objectTypeCode } from '../../src/objects/id.js'
import { MemoryTransport } from '../../src/peer/transport/memory-transport.js'
import { BLOCK_FRAGMENT_BYTES, BlockAssembler, encodeMessage, fragmentBlock } from '../../src/peer/wire/messages.js'
import { PeerSession, randomIdentity, type ReceivedBlock } from '../../src/peer/session/session.js'
import { pseudoRandomBytes } from '../net/helpers.js'
import { helloFrame } from './hello-frame.js'

const tick = async (): Promise<void> => await new Promise((resolve) => setImmediate(resolve))

/** An object of three fragments, as the peer would send it. */
async function threeFragments (): Promise<{ id: string, frames: Uint8Array[] }> {
  const store = new MemoryStore()
  const bytes = pseudoRandomBytes('cancel', 2 * BLOCK_FRAGMENT_BYTES + 100)
  const id = await store.put('chunk', bytes)
  const object = (await store.getEncoded(id))!
  return { id, frames: fragmentBlock(id, objectTypeCode(object.type), object.encoding, object.bytes, object.rawLength).map((b) => encodeMessage(b)) }
}

describe('our CANCEL drops the partly received object', () => {
  it('asking the same peer again after a CANCEL gets the object (no "fragment overlaps"), and its bytes stop counting against the cap', async () => {
    const { id, frames } = await threeFragments()
    expect(frames).toHaveLength(3)
    const [raw, b] = MemoryTransport.pair()
    const opening = PeerSession.open({ transport: b, store: new MemoryStore(), identity: randomIdentity('me') })
    await raw.send(helloFrame(randomIdentity('peer'), 'ab'.repeat(32)))
    const session = await opening
    const blocks: ReceivedBlock[] = []
    session.onBlock((block) => blocks.push(block))
    await session.want([id], 'block', 1)
    await raw.send(frames[0])
    await tick()
    expect(session.pendingBlockBytes).toBeGreaterThan(0)
    await session.cancel([id]) // e.g. a schedule window closed
    // the peer had already sent the next fragment when our CANCEL reached it: a stale tail, skipped
    await raw.send(frames[1])
    await tick()
    expect(session.pendingBlockBytes).toBe(0)
    expect(session.closed).toBe(false)
    // asked again, the peer sends the whole object from offset 0
    await session.want([id], 'block', 1)
    for (const frame of frames) await raw.send(frame)
    await tick()
    expect(session.closed).toBe(false)
    expect(session.error).toBeUndefined()
    expect(blocks.map((block) => block.id)).toEqual([id])
    expect(session.pendingBlockBytes).toBe(0)
    session.close()
  })

  it('the assembler restarts a cancelled object at offset 0 even after stale fragments of the old transfer began it again', () => {
    const bytes = pseudoRandomBytes('x', 3000)
    const id = 'c'.repeat(64)
    const fragments = [0, 1000, 2000].map((offset) => ({ type: 'BLOCK' as const, id, objectType: 0, encoding: 0, rawLength: 3000, totalLength: 3000, offset, bytes: bytes.subarray(offset, offset + 1000) }))
    const assembler = new BlockAssembler()
    expect(assembler.add(fragments[0])).toBeUndefined()
    assembler.cancel(id)
    expect(assembler.pendingBytes).toBe(0)
    expect(assembler.add(fragments[2])).toBeUndefined() // stale tail: skipped, nothing held
    expect(assembler.pendingBytes).toBe(0)
    expect(assembler.add(fragments[0])).toBeUndefined() // the old transfer's head, still in flight
    expect(assembler.add(fragments[1])).toBeUndefined()
    expect(assembler.add(fragments[0])).toBeUndefined() // the new transfer starts over
    expect(assembler.add(fragments[1])).toBeUndefined()
    expect(Buffer.from(assembler.add(fragments[2])!.bytes)).toEqual(bytes)
    expect(assembler.pendingBytes).toBe(0)
    // once complete, the id is no longer treated as cancelled: an overlap is a protocol error again
    expect(assembler.add(fragments[0])).toBeUndefined()
    expect(() => assembler.add(fragments[0])).toThrow(/overlaps/)
  })

  it('remembers a bounded number of cancelled ids', () => {
    const assembler = new BlockAssembler()
    for (let i = 0; i < 5000; i++) assembler.cancel(i.toString(16).padStart(64, '0'))
    // the oldest was forgotten: a fragment past offset 0 for it starts a pending object again
    const first = { type: 'BLOCK' as const, id: '0'.repeat(64), objectType: 0, encoding: 0, rawLength: 10, totalLength: 10, offset: 5, bytes: new Uint8Array(5) }
    expect(assembler.add(first)).toBeUndefined()
    expect(assembler.pendingBytes).toBe(10)
    const last = { ...first, id: (4999).toString(16).padStart(64, '0') }
    expect(assembler.add(last)).toBeUndefined()
    expect(assembler.pendingBytes).toBe(10)
  })
})
