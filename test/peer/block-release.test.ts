import { describe, expect, it } from 'vitest'
import { IncomingFrames, type IncomingHost } from '../../src/peer/session/incoming-frames.js'
import type { ReceivedBlock } from '../../src/peer/session/session-options.js'
import { FramePool } from '../../src/peer/transport/frame-pool.js'
import { LARGE_FRAME } from '../../src/peer/transport/transport.js'
import { encodeMessage } from '../../src/peer/wire/messages.js'

/** The incoming half of an open session over a stream transport (frames up to LARGE_FRAME), and nothing else. */
function incoming (): IncomingFrames {
  const host = {
    transport: { maxFrameBytes: LARGE_FRAME, remoteLabel: 'bo' },
    ledger: { frameReceived: () => {}, payloadReceived: () => {} },
    guard: { unknownMessage: () => {} },
    name: () => 'bo',
    state: () => 'open',
    refused: () => false,
    remoteCan: () => true,
    hello: async () => {},
    goodbye: () => {},
    want: () => {},
    cancel: () => {},
    close: (err?: Error) => { throw err ?? new Error('closed') }
  } as unknown as IncomingHost
  return new IncomingFrames(host)
}

describe('a block used in place, with two listeners on the session', () => {
  it('its frame is read into again only once both let go (an idle swarm released it under the busy one)', () => {
    const frames = incoming()
    const pool = new FramePool(LARGE_FRAME)
    const bytes = Buffer.alloc(256 * 1024, 7)
    const frame = encodeMessage({ type: 'BLOCK', id: 'ab'.repeat(32), objectType: 0, encoding: 0, rawLength: bytes.length, totalLength: bytes.length, offset: 0, bytes }, undefined, LARGE_FRAME)
    const releases: Array<() => void> = []
    const seen: ReceivedBlock[] = []
    for (let i = 0; i < 2; i++) frames.listeners.block.push((block) => { seen.push(block); releases.push(block.release) })
    const deliver = (): Buffer => {
      const pooled = pool.take()
      Buffer.from(frame).copy(pooled.buffer)
      frames.onFrame(pooled.buffer.subarray(0, frame.length), pooled)
      pooled.delivered()
      return pooled.buffer
    }
    const first = deliver()
    expect(seen[0].object.bytes.buffer === first.buffer).toBe(true) // used in place
    releases[0]() // the idle listener lets go at once
    const second = deliver()
    expect(second === first).toBe(false) // the busy listener still reads the first frame: not read into again
    releases[1]()
    releases[2]()
    releases[3]()
    expect(deliver() === second).toBe(true) // both let go of each: back to the pool
  })

  it('with no listener the frame goes back at once', () => {
    const frames = incoming()
    const pool = new FramePool(LARGE_FRAME)
    const bytes = Buffer.alloc(256 * 1024, 1)
    const frame = encodeMessage({ type: 'BLOCK', id: 'cd'.repeat(32), objectType: 0, encoding: 0, rawLength: bytes.length, totalLength: bytes.length, offset: 0, bytes }, undefined, LARGE_FRAME)
    const pooled = pool.take()
    Buffer.from(frame).copy(pooled.buffer)
    frames.onFrame(pooled.buffer.subarray(0, frame.length), pooled)
    pooled.delivered()
    expect(pool.take().buffer === pooled.buffer).toBe(true)
  })
})
