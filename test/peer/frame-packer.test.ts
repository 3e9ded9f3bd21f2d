import { describe, expect, it } from 'vitest'
import { FramePacker, MIN_PACKED_FRAGMENT_BYTES } from '../../src/peer/wire/frame-packer.js'
import { BATCH_ENTRY_HEADER_BYTES, BATCH_HEADER_BYTES, BlockAssembler, MAX_BATCH_ENTRIES, decodeMessage, type BlockMessage } from '../../src/peer/wire/messages.js'
import { MAX_FRAME } from '../../src/peer/transport/transport.js'
import { pseudoRandomBytes } from '../net/helpers.js'

const idOf = (i: number): string => i.toString(16).padStart(64, '0')

/** Packs objects the way the session serves them: cut each to `room`, send when `full`. */
function pack (objects: Uint8Array[]): Uint8Array[] {
  const packer = new FramePacker()
  const frames: Uint8Array[] = []
  objects.forEach((bytes, i) => {
    let offset = 0
    do {
      if (packer.full(bytes.byteLength - offset)) frames.push(packer.take()!.frame)
      const end = Math.min(bytes.byteLength, offset + packer.room)
      packer.add({ type: 'BLOCK', id: idOf(i), objectType: 0, encoding: 0, rawLength: bytes.byteLength, totalLength: bytes.byteLength, offset, bytes: bytes.subarray(offset, end) })
      offset = end
    } while (offset < bytes.byteLength)
  })
  const last = packer.take()
  if (last !== undefined) frames.push(last.frame)
  return frames
}

function unpack (frames: Uint8Array[]): Map<string, Uint8Array> {
  const asm = new BlockAssembler()
  const out = new Map<string, Uint8Array>()
  for (const frame of frames) {
    expect(frame.byteLength).toBeLessThanOrEqual(MAX_FRAME)
    const msg = decodeMessage(frame)
    const blocks: BlockMessage[] = msg.type === 'BATCH' ? msg.blocks : msg.type === 'BLOCK' ? [msg] : []
    for (const block of blocks) {
      const whole = asm.add(block)
      if (whole !== undefined) out.set(whole.id, whole.bytes)
    }
  }
  expect(asm.pendingBytes).toBe(0)
  return out
}

describe('FramePacker', () => {
  it('fills frames: objects of ~65 KiB take about one frame each, not two', () => {
    const objects = Array.from({ length: 40 }, (_, i) => pseudoRandomBytes(`o${i}`, 60_000 + (i * 7919) % 12_000))
    const total = objects.reduce((n, o) => n + o.byteLength, 0)
    const frames = pack(objects)
    // every frame but the last is full to within MIN_PACKED_FRAGMENT_BYTES
    for (const frame of frames.slice(0, -1)) expect(frame.byteLength).toBeGreaterThan(MAX_FRAME - MIN_PACKED_FRAGMENT_BYTES - BATCH_ENTRY_HEADER_BYTES)
    expect(frames.length).toBe(Math.ceil(total / (MAX_FRAME - BATCH_HEADER_BYTES - 2 * BATCH_ENTRY_HEADER_BYTES)))
    const back = unpack(frames)
    objects.forEach((o, i) => expect(Buffer.from(back.get(idOf(i))!).equals(o)).toBe(true))
  })

  it('a lone fragment is a plain BLOCK unless it fills the frame; many tiny objects stop at MAX_BATCH_ENTRIES', () => {
    const one = pack([Uint8Array.of(1, 2, 3)])
    expect(one.length).toBe(1)
    expect(one[0][1]).toBe(6)
    // a frame filled by one fragment (the middle of a large object) is exactly MAX_FRAME long
    const big = pack([pseudoRandomBytes('big', 200_000)])
    for (const frame of big.slice(0, -1)) expect(frame.byteLength).toBe(MAX_FRAME)
    expect(unpack(big).get(idOf(0))?.byteLength).toBe(200_000)
    const tiny = Array.from({ length: MAX_BATCH_ENTRIES + 10 }, (_, i) => Uint8Array.of(i & 255))
    const frames = pack(tiny)
    expect(frames.length).toBe(2)
    expect((decodeMessage(frames[0]) as { blocks: unknown[] }).blocks.length).toBe(MAX_BATCH_ENTRIES)
    expect(unpack(frames).size).toBe(tiny.length)
  })

  it('empty objects and objects larger than a frame', () => {
    const objects = [new Uint8Array(0), pseudoRandomBytes('big', 300_000), new Uint8Array(0), pseudoRandomBytes('s', 10)]
    const back = unpack(pack(objects))
    objects.forEach((o, i) => expect(Buffer.from(back.get(idOf(i))!).equals(o)).toBe(true))
  })

  it('never leaves a sliver: a fragment shorter than MIN_PACKED_FRAGMENT_BYTES only ends an object', () => {
    const objects = Array.from({ length: 30 }, (_, i) => pseudoRandomBytes(`q${i}`, 65_300 + i * 3))
    for (const frame of pack(objects)) {
      const msg = decodeMessage(frame)
      const blocks = msg.type === 'BATCH' ? msg.blocks : [msg as BlockMessage]
      for (const b of blocks) {
        if (b.offset + b.bytes.byteLength < b.totalLength) expect(b.bytes.byteLength).toBeGreaterThanOrEqual(MIN_PACKED_FRAGMENT_BYTES)
      }
    }
  })
})
