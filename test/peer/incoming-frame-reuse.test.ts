import { describe, expect, it } from 'vitest'
import { IncomingFrames, type IncomingHost } from '../../src/peer/session/incoming-frames.js'
import { FramePool } from '../../src/peer/transport/frame-pool.js'
import { SharedFrames } from '../../src/peer/transport/shared-frames.js'
import type { ReceivedBlock } from '../../src/peer/session/session-options.js'
import { encodeMessage, type BlockMessage } from '../../src/peer/wire/messages.js'
import type { GasError } from '../../src/errors.js'
import type { PeerLedger } from '../../src/peer/session/ledger.js'
import type { FloodGuard } from '../../src/peer/session/flood-guard.js'
import type { Transport } from '../../src/peer/transport/transport.js'
import { pseudoRandomBytes } from '../net/helpers.js'

const FRAME_BYTES = 16 * 1024
const idOf = (i: number): string => i.toString(16).padStart(64, '0')

/** An open session's incoming half, its blocks collected; any close is a test failure. */
function incoming (): { frames: IncomingFrames, blocks: ReceivedBlock[], closed: GasError[] } {
  const closed: GasError[] = []
  const host: IncomingHost = {
    transport: { remoteLabel: 'peer' } as unknown as Transport,
    ledger: { frameReceived: () => {}, payloadReceived: () => {} } as unknown as PeerLedger,
    guard: {} as unknown as FloodGuard,
    name: () => 'peer',
    state: () => 'open',
    refused: () => false,
    remoteCan: () => true,
    hello: async () => {},
    goodbye: () => {},
    want: () => {},
    cancel: () => {},
    close: (err) => { if (err !== undefined) closed.push(err) }
  }
  const frames = new IncomingFrames(host)
  const blocks: ReceivedBlock[] = []
  frames.listeners.block.push((block) => blocks.push(block))
  return { frames, blocks, closed }
}

/** `msg` encoded into a frame of the pool, delivered as a transport does (listeners, then `delivered`). */
function deliver (pool: FramePool, into: IncomingFrames, msg: BlockMessage): Buffer {
  const pooled = pool.take()
  const encoded = encodeMessage(msg)
  pooled.buffer.set(encoded)
  into.onFrame(pooled.buffer.subarray(0, encoded.byteLength), pooled)
  pooled.delivered()
  return pooled.buffer
}

describe('incoming frames give their buffer back when nothing of it is kept', () => {
  it('a frame carrying only a fragment (copied by the assembler) is reused, not retired; the object assembles whole', () => {
    const shared = new SharedFrames(FRAME_BYTES, 2)
    const pool = new FramePool(FRAME_BYTES, shared)
    const { frames, blocks, closed } = incoming()
    const bytes = pseudoRandomBytes('split', 10_000)
    const head: BlockMessage = { type: 'BLOCK', id: idOf(1), objectType: 0, encoding: 0, rawLength: bytes.byteLength, totalLength: bytes.byteLength, offset: 0, bytes: bytes.subarray(0, 6000) }
    const first = deliver(pool, frames, head)
    expect(shared.takeRetired()).toEqual([])
    // the same buffer takes the next frame (the tail), which completes the object in a pooled copy
    const second = deliver(pool, frames, { ...head, offset: 6000, bytes: bytes.subarray(6000) })
    expect(second).toBe(first)
    expect(shared.takeRetired()).toEqual([])
    expect(shared.live).toBe(1)
    expect(closed).toEqual([])
    expect(blocks).toHaveLength(1)
    expect(Buffer.from(blocks[0].object.bytes).equals(bytes)).toBe(true)
    // a third frame overwrites the buffer: the object's bytes live elsewhere
    deliver(pool, frames, { ...head, id: idOf(2), totalLength: 20_000, rawLength: 20_000, bytes: pseudoRandomBytes('other', 6000) })
    expect(Buffer.from(blocks[0].object.bytes).equals(bytes)).toBe(true)
    blocks[0].release()
  })

  it('a frame whose object is used in place waits for its release, then is reused', () => {
    const shared = new SharedFrames(FRAME_BYTES, 2)
    const pool = new FramePool(FRAME_BYTES, shared)
    const { frames, blocks } = incoming()
    const bytes = pseudoRandomBytes('whole', 12_000)
    const first = deliver(pool, frames, { type: 'BLOCK', id: idOf(3), objectType: 0, encoding: 0, rawLength: bytes.byteLength, totalLength: bytes.byteLength, offset: 0, bytes })
    expect(blocks).toHaveLength(1)
    expect(blocks[0].object.bytes.buffer).toBe(first.buffer)
    // still held: the next frame gets the other shared buffer
    const other = pool.take()
    expect(other.buffer).not.toBe(first)
    blocks[0].release()
    expect(pool.take().buffer).toBe(first)
    expect(shared.takeRetired()).toEqual([])
  })

  it('a frame no listener vouched for (no block in it) is still retired', () => {
    const shared = new SharedFrames(FRAME_BYTES, 1)
    const pool = new FramePool(FRAME_BYTES, shared)
    const { frames } = incoming()
    const pooled = pool.take()
    const id = shared.idOf(pooled.buffer.buffer)
    const encoded = encodeMessage({ type: 'HAVE', ids: [idOf(4)] })
    pooled.buffer.set(encoded)
    frames.onFrame(pooled.buffer.subarray(0, encoded.byteLength), pooled)
    pooled.delivered()
    expect(shared.takeRetired()).toEqual([id])
  })
})

describe('a block used in place, with two listeners on the session (two swarms)', () => {
  const whole = (i: number): BlockMessage => {
    const bytes = pseudoRandomBytes(`whole ${i}`, 8000)
    return { type: 'BLOCK', id: idOf(100 + i), objectType: 0, encoding: 0, rawLength: bytes.byteLength, totalLength: bytes.byteLength, offset: 0, bytes }
  }

  it('its frame is read into again only once both let go (an idle swarm released it under the busy one)', () => {
    const pool = new FramePool(FRAME_BYTES)
    const { frames, blocks, closed } = incoming()
    const idle: Array<() => void> = []
    frames.listeners.block.push((block) => idle.push(block.release))
    const first = deliver(pool, frames, whole(1))
    expect(blocks[0].object.bytes.buffer === first.buffer).toBe(true) // used in place
    idle[0]() // the idle listener lets go at once
    const second = deliver(pool, frames, whole(2))
    expect(second === first).toBe(false) // the busy one still reads the first frame: not read into again
    blocks[0].release()
    blocks[1].release()
    idle[1]()
    expect(deliver(pool, frames, whole(3)) === second).toBe(true) // both let go of each: back to the pool
    expect(closed).toEqual([])
  })

  it('with no listener the frame goes back at once', () => {
    const pool = new FramePool(FRAME_BYTES)
    const { frames } = incoming()
    frames.listeners.block.length = 0
    const first = deliver(pool, frames, whole(4))
    expect(deliver(pool, frames, whole(5)) === first).toBe(true)
  })
})
