import { describe, expect, it } from 'vitest'
import { FramePacker } from '../../src/peer/wire/frame-packer.js'
import { BlockAssembler, LARGE_BATCH_ENTRY_HEADER_BYTES, decodeMessage, encodeMessage, type BlockMessage, type LargeBatchMessage } from '../../src/peer/wire/messages.js'
import { LARGE_FRAME, MAX_FRAME } from '../../src/peer/transport/transport.js'
import { isGasError } from '../../src/errors.js'
import { pseudoRandomBytes } from '../net/helpers.js'

const idOf = (i: number): string => i.toString(16).padStart(64, '0')
const whole = (i: number, bytes: Uint8Array): BlockMessage => ({ type: 'BLOCK', id: idOf(i), objectType: 0, encoding: 0, rawLength: bytes.byteLength, totalLength: bytes.byteLength, offset: 0, bytes })

function codeOf (fn: () => unknown): string | undefined {
  try { fn() } catch (err) { return isGasError(err) ? err.code : 'not a GasError' }
  return undefined
}

describe('LARGE_BATCH (capability large-frames)', () => {
  it('carries whole chunks of up to 256 KiB in one frame and round-trips', () => {
    const blocks = [whole(1, pseudoRandomBytes('a', 256 * 1024)), whole(2, pseudoRandomBytes('b', 70_000)), whole(3, Uint8Array.of(7))]
    const frame = encodeMessage({ type: 'LARGE_BATCH', blocks }, undefined, LARGE_FRAME)
    expect(frame[1]).toBe(13)
    const back = decodeMessage(frame) as LargeBatchMessage
    expect(back.type).toBe('LARGE_BATCH')
    expect(back.blocks.map(b => Buffer.from(b.bytes).equals(blocks[back.blocks.indexOf(b)].bytes))).toEqual([true, true, true])
    // the default limit stays MAX_FRAME: nothing larger goes out by accident
    expect(codeOf(() => encodeMessage({ type: 'LARGE_BATCH', blocks }))).toBe('E_FRAME_LENGTH')
    expect(codeOf(() => encodeMessage({ type: 'LARGE_BATCH', blocks: [whole(4, new Uint8Array(LARGE_FRAME))] }, undefined, LARGE_FRAME))).toBe('E_FRAME_LENGTH')
  })

  it('refuses entries whose u32 length runs past the frame or is short, and an empty batch', () => {
    const good = encodeMessage({ type: 'LARGE_BATCH', blocks: [whole(1, Uint8Array.of(1, 2, 3))] }, undefined, LARGE_FRAME)
    const runsPast = Uint8Array.from(good)
    runsPast.set([0, 1, 0, 0], 5) // the entry length (after version, id, count u16, entry id)
    expect(codeOf(() => decodeMessage(runsPast))).toBe('E_FRAME_LENGTH')
    expect(codeOf(() => decodeMessage(good.subarray(0, good.byteLength - 1)))).toBe('E_FRAME_LENGTH')
    expect(codeOf(() => decodeMessage(Uint8Array.of(1, 13, 0, 0)))).toBe('E_PROTOCOL')
    expect(codeOf(() => decodeMessage(Uint8Array.of(1, 13, 0, 1, 7, 0, 0, 0, 0)))).toBe('E_PROTOCOL') // an entry that is not a BLOCK
  })

  it('a packer set to LARGE_FRAME puts each chunk whole into one frame; the assembler uses them in place', () => {
    const packer = new FramePacker()
    packer.setMaxFrame(LARGE_FRAME)
    expect(packer.room).toBe(LARGE_FRAME - 4 - LARGE_BATCH_ENTRY_HEADER_BYTES)
    const objects = Array.from({ length: 40 }, (_, i) => pseudoRandomBytes(`o${i}`, 16_384 + (i * 7919) % 200_000))
    const frames: Uint8Array[] = []
    objects.forEach((bytes, i) => {
      let offset = 0
      do {
        if (packer.full(bytes.byteLength - offset)) frames.push(packer.take(new Uint8Array(LARGE_FRAME))!.frame.slice())
        const end = Math.min(bytes.byteLength, offset + packer.room)
        packer.add({ ...whole(i, bytes.subarray(offset, end)), totalLength: bytes.byteLength, rawLength: bytes.byteLength, offset })
        offset = end
      } while (offset < bytes.byteLength)
    })
    frames.push(packer.take()!.frame)
    const total = objects.reduce((n, o) => n + o.byteLength, 0)
    expect(frames.length).toBeLessThanOrEqual(Math.ceil(total / (LARGE_FRAME - 64 * 1024)))
    const asm = new BlockAssembler()
    let inPlace = 0
    for (const frame of frames) {
      expect(frame.byteLength).toBeLessThanOrEqual(LARGE_FRAME)
      const msg = decodeMessage(frame)
      for (const block of msg.type === 'LARGE_BATCH' ? msg.blocks : msg.type === 'BLOCK' ? [msg] : []) {
        const done = asm.add(block)
        if (done === undefined) continue
        if (done.bytes.buffer === frame.buffer) inPlace++
        expect(Buffer.from(done.bytes).equals(objects[Number.parseInt(done.id, 16)])).toBe(true)
        done.release?.()
      }
    }
    // only the objects cut at a frame's end were reassembled (copied)
    expect(inPlace).toBeGreaterThanOrEqual(objects.length - frames.length)
    // back to MAX_FRAME once empty: BATCH again
    packer.setMaxFrame(MAX_FRAME)
    packer.add(whole(0, Uint8Array.of(1)))
    packer.add(whole(1, Uint8Array.of(2)))
    expect(packer.take()!.frame[1]).toBe(8)
  })
})
