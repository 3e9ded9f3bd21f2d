import { describe, expect, it } from 'vitest'
import { WriteSlabs } from '../../src/repo/write-slabs.js'

describe('WriteSlabs', () => {
  it('copies into one slab per batch, and reuses a slab once its batch is written', () => {
    const slabs = new WriteSlabs(10)
    const a = slabs.copy(Buffer.from('abcd'))!
    const b = slabs.copy(Buffer.from('efgh'))!
    expect(Buffer.from(a).toString()).toBe('abcd')
    expect(Buffer.from(b).toString()).toBe('efgh')
    // the same slab, one after the other
    expect(a.buffer).toBe(b.buffer)
    expect(b.byteOffset - a.byteOffset).toBe(4)
    // what does not fit is left to the caller, uncopied
    expect(slabs.copy(Buffer.from('ijk'))).toBeUndefined()
    const written = slabs.seal()
    // while that batch is being written, the next gets a slab of its own
    const c = slabs.copy(Buffer.from('xy'))!
    expect(c.buffer).not.toBe(a.buffer)
    slabs.seal()()
    written()
    // the slab given back last is taken first
    const d = slabs.copy(Buffer.from('z'))!
    expect(d.buffer).toBe(a.buffer)
    expect(Buffer.from(a).toString()).toBe('zbcd')
  })

  it('seals an unused batch without a slab', () => {
    const slabs = new WriteSlabs(10)
    expect(() => slabs.seal()()).not.toThrow()
  })
})
