import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { BLOCK_FRAGMENT_BYTES, BlockAssembler, fragmentBlock } from '../../src/peer/wire/block-fragments.js'
import { decodeMessage, encodeMessage, type BlockMessage } from '../../src/peer/wire/messages.js'
import { MAX_FRAME } from '../../src/peer/transport/transport.js'
import { codeOf, id1, id2 } from '../helpers/wire-samples.js'

describe('fragmentBlock / BlockAssembler', () => {
  const obj = randomBytes(256 * 1024)

  it('fragments into frames ≤ MAX_FRAME and reassembles', () => {
    const frags = fragmentBlock(id1, 2, 0, obj)
    expect(frags.length).toBe(Math.ceil(obj.length / BLOCK_FRAGMENT_BYTES))
    const asm = new BlockAssembler()
    let done
    for (const f of frags) {
      const frame = encodeMessage(f)
      expect(frame.byteLength).toBeLessThanOrEqual(MAX_FRAME)
      done = asm.add(decodeMessage(frame) as BlockMessage)
    }
    expect(done?.id).toBe(id1)
    expect(done?.objectType).toBe(2)
    expect(Buffer.from(done!.bytes).equals(obj)).toBe(true)
    expect(asm.pendingBytes).toBe(0)
  })

  it('reassembles out of order and single-frame objects directly', () => {
    const frags = fragmentBlock(id1, 1, 1, obj).reverse()
    const asm = new BlockAssembler()
    const results = frags.map(f => asm.add(f))
    expect(results.slice(0, -1).every(r => r === undefined)).toBe(true)
    expect(Buffer.from(results.at(-1)!.bytes).equals(obj)).toBe(true)
    const small = fragmentBlock(id2, 0, 0, Uint8Array.of(1, 2))
    expect(small.length).toBe(1)
    expect([...asm.add(small[0])!.bytes]).toEqual([1, 2])
    expect(asm.add(fragmentBlock(id2, 0, 0, new Uint8Array(0))[0])!.bytes.length).toBe(0)
  })

  it('reassembles into a recycled buffer only after the previous object was released', () => {
    const asm = new BlockAssembler()
    const assemble = (id: string, bytes: Uint8Array) => fragmentBlock(id, 1, 0, bytes).map((f) => asm.add(f)).at(-1)!
    const first = assemble(id1, obj)
    const kept = Buffer.from(first.bytes)
    const second = assemble(id2, randomBytes(obj.length))
    expect(second.bytes.buffer).not.toBe(first.bytes.buffer)
    expect(Buffer.from(first.bytes).equals(kept)).toBe(true) // not released: untouched
    first.release!()
    const third = assemble(id1, randomBytes(obj.length))
    expect(third.bytes.buffer).toBe(first.bytes.buffer)
    // a partial object dropped (peer lost) gives its buffer back too
    third.release!()
    asm.add(fragmentBlock(id2, 1, 0, obj)[0]) // takes third's buffer
    asm.clear()
    expect(assemble(id2, obj).bytes.buffer).toBe(third.bytes.buffer)
  })

  it('rejects overlaps and inconsistent fragments', () => {
    const frags = fragmentBlock(id1, 1, 0, obj)
    const asm = new BlockAssembler()
    asm.add(frags[0])
    expect(codeOf(() => asm.add(frags[0]))).toBe('E_PROTOCOL')
    expect(asm.pendingIds).toEqual([]) // dropped after a bad fragment
    asm.add(frags[0])
    expect(codeOf(() => asm.add({ ...frags[1], totalLength: obj.length + 1 }))).toBe('E_PROTOCOL')
    asm.add(frags[0])
    expect(codeOf(() => asm.add({ ...frags[1], encoding: 1 }))).toBe('E_PROTOCOL')
    expect(codeOf(() => asm.add({ ...frags[1], offset: obj.length - 10 }))).toBe('E_FRAME_LENGTH')
  })

  it('rejects a fragment whose rawLength disagrees with the first one', () => {
    const frags = fragmentBlock(id1, 1, 1, obj, 1_000_000)
    const asm = new BlockAssembler()
    asm.add(frags[0])
    expect(codeOf(() => asm.add({ ...frags[1], rawLength: 999_999 }))).toBe('E_PROTOCOL')
    const whole = frags.map(f => new BlockAssembler().add({ ...f, offset: 0, totalLength: f.bytes.byteLength }))
    expect(whole[0]?.rawLength).toBe(1_000_000)
  })

  it('an object that came whole in one fragment is used in place; a small one is copied so it does not pin its frame', () => {
    const frame = randomBytes(MAX_FRAME)
    const big = frame.subarray(100, 60_000)
    const small = frame.subarray(60_000, 60_100)
    const asm = new BlockAssembler()
    const gotBig = asm.add({ type: 'BLOCK', id: id1, objectType: 0, encoding: 0, rawLength: big.length, totalLength: big.length, offset: 0, bytes: big })!
    const gotSmall = asm.add({ type: 'BLOCK', id: id2, objectType: 0, encoding: 0, rawLength: small.length, totalLength: small.length, offset: 0, bytes: small })!
    expect(gotBig.bytes).toBe(big)
    expect(gotSmall.bytes.buffer).not.toBe(frame.buffer)
    expect(Buffer.from(gotSmall.bytes).equals(small)).toBe(true)
  })

  it('caps pending bytes', () => {
    const asm = new BlockAssembler({ maxPendingBytes: 300 * 1024 })
    asm.add(fragmentBlock(id1, 1, 0, obj)[0])
    expect(asm.pendingBytes).toBe(obj.length)
    const other = fragmentBlock(id2, 1, 0, obj)
    expect(codeOf(() => asm.add(other[0]))).toBe('E_PROTOCOL')
    asm.drop(id1)
    expect(asm.pendingBytes).toBe(0)
    asm.add(other[0])
    asm.clear()
    expect(asm.pendingIds).toEqual([])
  })
})
