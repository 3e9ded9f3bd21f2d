import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { FramePacker } from '../../src/peer/wire/frame-packer.js'
import { BlockAssembler, MAX_FRAME_FUZZ_CODES, decodeMessage, encodeMessage, fragmentBlock, type BlockMessage, type Message } from './wire-samples.js'
import { arrayBufferGrowth, decodeOutcome, fuzzDecoder, FUZZ_RUNS, hostileBytes } from './fuzz.js'

const hex = (n: number, fill: number): string => Buffer.alloc(n, fill).toString('hex')
const id1 = hex(32, 0x11)
const id2 = hex(32, 0x22)
const certificate = { team: 'team-1', member: { name: 'Aiko', publicKey: id1, roles: ['artist'] }, signature: hex(64, 3) }

const samples: Message[] = [
  { type: 'HELLO', version: 2, capabilities: ['done'], peerId: id1, name: 'Aiko', publicKey: id2, teamId: 't', nonce: id1, signature: hex(64, 5), certificate: { ...certificate, issuer: { ...certificate } }, schedule: { windows: ['Mon-Fri 22:00-07:00 UTC'], limit: 1000 } },
  { type: 'REFS', refs: [{ name: 'heads/main', id: id1 }, { name: 'builds/win64/1.2.3', id: id2 }] },
  { type: 'WANT', ids: [id1, id2], mode: 'block', priority: 7 },
  { type: 'HAVE', ids: [id1] },
  { type: 'DONT_HAVE', ids: [id1, id2] },
  { type: 'CANCEL', ids: [id2] },
  { type: 'BLOCK', id: id1, objectType: 0, encoding: 0, rawLength: 10, totalLength: 10, offset: 2, bytes: new Uint8Array(5).fill(9) },
  { type: 'BATCH', blocks: [{ type: 'BLOCK', id: id1, objectType: 0, encoding: 1, rawLength: 99, totalLength: 4, offset: 0, bytes: new Uint8Array(4) }, { type: 'BLOCK', id: id2, objectType: 3, encoding: 0, rawLength: 3, totalLength: 3, offset: 0, bytes: new Uint8Array(3) }] },
  { type: 'DONE' },
  { type: 'END_OF_REFS' },
  { type: 'GOODBYE', code: 'E_AUTH', message: 'not a member' }
]
const valid = samples.map((msg) => encodeMessage(msg))

describe('wire frames under hostile input', () => {
  it('decodeMessage: random bytes and mutated frames give a message or a typed error', () => {
    fuzzDecoder({ valid, decode: decodeMessage, codes: MAX_FRAME_FUZZ_CODES })
  })

  it('random payloads behind every message id give a message or a typed error', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 12 }), fc.uint8Array({ maxLength: 600 }), (messageId, payload) => {
      decodeOutcome(() => decodeMessage(Uint8Array.from([1, messageId, ...payload])), MAX_FRAME_FUZZ_CODES)
    }), { numRuns: FUZZ_RUNS })
  })

  it('a decoded message encodes back to the same frame (one encoding per message; HELLO to the same meaning)', () => {
    fc.assert(fc.property(hostileBytes(valid), (bytes) => {
      const outcome = decodeOutcome(() => decodeMessage(bytes), MAX_FRAME_FUZZ_CODES)
      if (!outcome.ok) return
      const again = encodeMessage(outcome.value)
      // why: HELLO reads past keys it does not know (a newer peer's) and fills a version 1 peer's missing
      // ones, so its bytes may differ; what it means must survive the round trip
      if (outcome.value.type === 'HELLO') expect(decodeMessage(again)).toEqual(outcome.value)
      else expect(Buffer.from(again).equals(Buffer.from(bytes))).toBe(true)
    }), { numRuns: FUZZ_RUNS })
  })

  it('length fields claiming 4 GB allocate nothing', () => {
    const refs = Buffer.from(encodeMessage(samples[1]))
    refs.writeUInt32BE(0xffffffff, 2)
    const block = Buffer.from(valid[6])
    block.writeUInt32BE(0xffffffff, 36) // rawLength
    block.writeUInt32BE(0xffffffff, 40) // totalLength
    const batch = Buffer.from(valid[7])
    batch.writeUInt16BE(0xffff, 2) // count
    for (const frame of [refs, block, batch]) {
      const growth = arrayBufferGrowth(() => { decodeOutcome(() => decodeMessage(frame), MAX_FRAME_FUZZ_CODES) })
      expect(growth).toBeLessThan(1024 * 1024)
    }
  })

  it('BlockAssembler: hostile fragments reassemble or fail typed, and never reserve more than is present', () => {
    fc.assert(fc.property(fc.array(hostileBytes([valid[6], valid[7]]), { maxLength: 12 }), (frames) => {
      const assembler = new BlockAssembler({ maxPendingBytes: 1024 * 1024 })
      for (const frame of frames) {
        const outcome = decodeOutcome(() => decodeMessage(frame), MAX_FRAME_FUZZ_CODES)
        if (!outcome.ok) continue
        const blocks = outcome.value.type === 'BLOCK' ? [outcome.value] : outcome.value.type === 'BATCH' ? outcome.value.blocks : []
        for (const block of blocks) decodeOutcome(() => assembler.add(block), ['E_PROTOCOL', 'E_FRAME_LENGTH'])
        expect(assembler.pendingBytes).toBeLessThanOrEqual(1024 * 1024)
      }
    }), { numRuns: FUZZ_RUNS })
  })

  it('FramePacker: any objects packed into frames come out whole and equal', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 150_000 }), { minLength: 1, maxLength: 6 }), (sizes) => {
      const objects = sizes.map((size, i) => Buffer.alloc(size, i + 1))
      const packer = new FramePacker()
      const frames: Uint8Array[] = []
      objects.forEach((bytes, i) => {
        let offset = 0
        do {
          if (packer.full(bytes.byteLength - offset)) frames.push(packer.take()!.frame)
          const end = Math.min(bytes.byteLength, offset + packer.room)
          const block: BlockMessage = { type: 'BLOCK', id: i.toString(16).padStart(64, '0'), objectType: 0, encoding: 0, rawLength: bytes.byteLength, totalLength: bytes.byteLength, offset, bytes: bytes.subarray(offset, end) }
          packer.add(block)
          offset = end
        } while (offset < bytes.byteLength)
      })
      const last = packer.take()
      if (last !== undefined) frames.push(last.frame)
      const assembler = new BlockAssembler()
      const out = new Map<string, Uint8Array>()
      for (const frame of frames) {
        const msg = decodeMessage(frame)
        const blocks = msg.type === 'BATCH' ? msg.blocks : [msg as BlockMessage]
        for (const block of blocks) {
          const whole = assembler.add(block)
          if (whole !== undefined) out.set(whole.id, new Uint8Array(whole.bytes))
        }
      }
      objects.forEach((bytes, i) => expect(Buffer.from(out.get(i.toString(16).padStart(64, '0'))!).equals(bytes)).toBe(true))
    }), { numRuns: 60 })
  })

  it('fragmentBlock output always decodes back to its fragments', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200_000 }), (bytes) => {
      for (const fragment of fragmentBlock(id1, 0, 0, bytes)) expect(decodeMessage(encodeMessage(fragment))).toMatchObject({ offset: fragment.offset, totalLength: bytes.byteLength })
    }), { numRuns: 40 })
  })
})
