import { describe, expect, it } from 'vitest'
import { noteNativeGarbage } from '../../src/objects/native-garbage.js'
import { compressChunk, decompress } from '../../src/objects/compression.js'

describe('noteNativeGarbage', () => {
  it('frees decoded chunks dropped at once, before V8 would on its own', () => {
    const raw = Buffer.alloc(256 * 1024, 7)
    const packed = compressChunk(raw)
    expect(packed.encoding).toBe(1)
    // what the decoded buffers weigh outside the JS heap, after decoding 256 MiB and dropping each at once
    const native = (): number => { const m = process.memoryUsage(); return m.external - m.arrayBuffers }
    const before = native()
    let peak = 0
    for (let i = 0; i < 1024; i++) {
      decompress(packed.encoding, packed.bytes, raw.length, 'test')
      if (i % 16 === 0) peak = Math.max(peak, native() - before)
    }
    // without the paced collections, V8 let ~94 MiB of them pile up here before a full collection (16–43 with them)
    expect(peak).toBeLessThan(64 * 2 ** 20)
  })

  it('counts small amounts without collecting', () => {
    expect(() => { for (let i = 0; i < 100; i++) noteNativeGarbage(1) }).not.toThrow()
  })
})
