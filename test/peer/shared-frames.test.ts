import { describe, expect, it } from 'vitest'
import { FramePool } from '../../src/peer/transport/frame-pool.js'
import { SharedFrames } from '../../src/peer/transport/shared-frames.js'

describe('shared receive frames (shared-frames.ts) through a FramePool', () => {
  it('a held frame goes back to the shared set and takes the next frame; past the set, frames are ordinary buffers', () => {
    const shared = new SharedFrames(4096, 2)
    const pool = new FramePool(4096, shared)
    const first = pool.take()
    expect(first.buffer.buffer).toBeInstanceOf(SharedArrayBuffer)
    const id = shared.idOf(first.buffer.buffer)
    expect(id).toBeDefined()
    expect(shared.memoryOf(id!)).toBe(first.buffer.buffer)
    const release = first.hold()
    first.delivered()
    release()
    const again = pool.take()
    expect(again.buffer).toBe(first.buffer)
    const second = pool.take()
    const third = pool.take()
    expect(shared.idOf(second.buffer.buffer)).toBeDefined()
    // two out already: an ordinary buffer, not shared
    expect(third.buffer.buffer).not.toBeInstanceOf(SharedArrayBuffer)
    expect(shared.idOf(third.buffer.buffer)).toBeUndefined()
    expect(shared.live).toBe(2)
  })

  it('a frame nobody held is never reused: a shared one is retired (forgotten, its id reported once) and a new one made in its place', () => {
    const shared = new SharedFrames(4096, 1)
    const pool = new FramePool(4096, shared)
    const unheld = pool.take()
    const id = shared.idOf(unheld.buffer.buffer)!
    unheld.delivered()
    expect(shared.live).toBe(0)
    expect(shared.memoryOf(id)).toBeUndefined()
    expect(shared.idOf(unheld.buffer.buffer)).toBeUndefined()
    expect(shared.takeRetired()).toEqual([id])
    expect(shared.takeRetired()).toEqual([])
    const next = pool.take()
    expect(next.buffer).not.toBe(unheld.buffer)
    expect(shared.idOf(next.buffer.buffer)).not.toBe(id)
    expect(shared.live).toBe(1)
  })

  it('a pool of another frame size keeps to ordinary buffers', () => {
    const shared = new SharedFrames(4096)
    const pool = new FramePool(2048, shared)
    expect(pool.take().buffer.buffer).not.toBeInstanceOf(SharedArrayBuffer)
    expect(shared.live).toBe(0)
  })
})
