import { describe, expect, it } from 'vitest'
import { BufferPool } from '../../src/objects/buffer-pool.js'

describe('BufferPool', () => {
  it('hands out views of exactly the size asked, and reuses a buffer once it is given back', () => {
    const pool = new BufferPool()
    const a = pool.take(70_000)
    expect(a.byteLength).toBe(70_000)
    const b = pool.take(70_000)
    expect(b.buffer).not.toBe(a.buffer) // a is still in use
    pool.give(a)
    const c = pool.take(100_000) // same 128 KiB class
    expect(c.buffer).toBe(a.buffer)
    expect(c.byteLength).toBe(100_000)
    expect(pool.take(1000).buffer).not.toBe(b.buffer) // another class
  })

  it('ignores buffers it did not hand out, so a store never sees its own bytes overwritten', () => {
    const pool = new BufferPool()
    const foreign = new Uint8Array(64 * 1024).fill(7)
    pool.give(foreign)
    const taken = pool.take(64 * 1024)
    expect(taken.buffer).not.toBe(foreign.buffer)
    taken.fill(1)
    expect(foreign.every((x) => x === 7)).toBe(true)
  })

  it('allocates objects above the largest class without pooling them', () => {
    const pool = new BufferPool()
    const big = pool.take(5 * 1024 * 1024)
    expect(big.byteLength).toBe(5 * 1024 * 1024)
    pool.give(big)
    expect(pool.take(5 * 1024 * 1024).buffer).not.toBe(big.buffer)
    expect(pool.take(0).byteLength).toBe(0)
  })
})
