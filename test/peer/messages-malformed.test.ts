import { describe, expect, it } from 'vitest'
import { GasError, isGasError } from '../../src/errors.js'
import {
  BLOCK_HEADER_BYTES, MAX_BATCH_ENTRIES, MAX_IDS_PER_MESSAGE, MAX_REFS, decodeMessage, encodeMessage,
  type BatchMessage, type BlockMessage, type Message
} from '../../src/peer/wire/messages.js'
import { LARGE_FRAME, MAX_FRAME } from '../../src/peer/transport/transport.js'
import { V2, certificate, codeOf, hex, id1, id2, samples } from '../helpers/wire-samples.js'

describe('malformed wire frames and messages', () => {
  for (const msg of samples) {
    describe(`${msg.type} ${JSON.stringify(msg).slice(0, 40)}`, () => {
      const frame = encodeMessage(msg)
      it('refuses every truncation with E_FRAME_LENGTH (or E_PROTOCOL for cut JSON)', () => {
        for (let n = 0; n < frame.byteLength; n++) {
          const code = codeOf(() => decodeMessage(frame.subarray(0, n)))
          // a BLOCK cut inside its bytes is a shorter, still valid fragment (the frame is the length prefix)
          if (msg.type === 'BLOCK' && n > BLOCK_HEADER_BYTES) { expect(code).toBeUndefined(); continue }
          expect(['E_FRAME_LENGTH', 'E_PROTOCOL']).toContain(code)
        }
      })
      it('refuses trailing bytes', () => {
        const longer = new Uint8Array(frame.byteLength + 1)
        longer.set(frame)
        expect(['E_FRAME_LENGTH', 'E_PROTOCOL']).toContain(codeOf(() => decodeMessage(longer)))
      })
    })
  }

  it('BLOCK trailing byte past totalLength is E_FRAME_LENGTH', () => {
    const frame = encodeMessage({ type: 'BLOCK', id: id1, objectType: 0, encoding: 0, rawLength: 3, totalLength: 3, offset: 0, bytes: Uint8Array.of(1, 2, 3) })
    expect(codeOf(() => decodeMessage(Uint8Array.of(...frame, 4)))).toBe('E_FRAME_LENGTH')
  })

  describe('BATCH decoding', () => {
    const block = (bytes: number[]): number[] => [...Buffer.from(id1, 'hex'), 0, 0, 0, 0, 0, bytes.length, 0, 0, 0, bytes.length, 0, 0, 0, 0, ...bytes]
    const entry = (messageId: number, body: number[]): number[] => [messageId, body.length >> 8, body.length & 255, ...body]
    const batch = (count: number, ...entries: number[][]): Uint8Array => Uint8Array.of(1, 8, count >> 8, count & 255, ...entries.flat())

    it('decodes a hand-built frame; blocks are views into it', () => {
      const frame = batch(2, entry(6, block([1, 2])), entry(6, block([3])))
      const msg = decodeMessage(frame)
      expect(msg.type).toBe('BATCH')
      const blocks = (msg as BatchMessage).blocks
      expect(blocks.map(b => [...b.bytes])).toEqual([[1, 2], [3]])
      expect(blocks[0].bytes.buffer).toBe(frame.buffer)
    })

    it('only BLOCK may be batched: any other message id is E_PROTOCOL', () => {
      for (const messageId of [1, 3, 4, 7, 8, 99]) {
        expect(codeOf(() => decodeMessage(batch(1, entry(messageId, [0, 0])))), `id ${messageId}`).toBe('E_PROTOCOL')
      }
      expect(codeOf(() => decodeMessage(batch(2, entry(6, block([1])), entry(4, [0, 0]))))).toBe('E_PROTOCOL')
    })

    it('count 0 is E_PROTOCOL; count over MAX_BATCH_ENTRIES is E_FRAME_LENGTH', () => {
      expect(codeOf(() => decodeMessage(batch(0)))).toBe('E_PROTOCOL')
      expect(codeOf(() => decodeMessage(batch(MAX_BATCH_ENTRIES + 1, entry(6, block([1])))))).toBe('E_FRAME_LENGTH')
    })

    it('count and entry lengths must match the frame exactly (E_FRAME_LENGTH)', () => {
      const one = entry(6, block([1, 2, 3]))
      expect(codeOf(() => decodeMessage(batch(2, one)))).toBe('E_FRAME_LENGTH') // count says more
      expect(codeOf(() => decodeMessage(batch(1, one, one)))).toBe('E_FRAME_LENGTH') // trailing entry
      expect(codeOf(() => decodeMessage(batch(1, [6, 0, 10, ...block([1])])))).toBe('E_FRAME_LENGTH') // entry shorter than a BLOCK header
      expect(codeOf(() => decodeMessage(batch(1, [6, 0xff, 0xff, ...block([1])])))).toBe('E_FRAME_LENGTH') // entry runs past the frame
      const emptyOfFive = [...Buffer.from(id1, 'hex'), 0, 0, 0, 0, 0, 5, 0, 0, 0, 5, 0, 0, 0, 0]
      expect(codeOf(() => decodeMessage(batch(1, entry(6, emptyOfFive))))).toBe('E_FRAME_LENGTH') // empty fragment of a 5-byte object
    })

    it('MAX_BATCH_ENTRIES tiny objects fit one frame and round-trip; a batch over MAX_FRAME is refused', () => {
      const tiny = Array.from({ length: MAX_BATCH_ENTRIES }, (_, i): BlockMessage => ({ type: 'BLOCK', id: hex(32), objectType: 0, encoding: 0, rawLength: 1, totalLength: 1, offset: 0, bytes: Uint8Array.of(i & 255) }))
      const frame = encodeMessage({ type: 'BATCH', blocks: tiny })
      expect(frame.byteLength).toBeLessThanOrEqual(MAX_FRAME)
      expect((decodeMessage(frame) as BatchMessage).blocks.map(b => b.id)).toEqual(tiny.map(b => b.id))
      const big = (id: string): BlockMessage => ({ type: 'BLOCK', id, objectType: 0, encoding: 0, rawLength: 40_000, totalLength: 40_000, offset: 0, bytes: new Uint8Array(40_000) })
      expect(codeOf(() => encodeMessage({ type: 'BATCH', blocks: [big(id1), big(id2)] }))).toBe('E_FRAME_LENGTH')
    })
  })

  it('unknown message id is E_PROTOCOL with data.messageId', () => {
    try {
      decodeMessage(Uint8Array.of(1, 99, 0))
      expect.unreachable()
    } catch (err) {
      expect(isGasError(err, 'E_PROTOCOL')).toBe(true)
      expect((err as GasError).data).toEqual({ messageId: 99 })
    }
  })

  it('a frame of another format version is E_PROTOCOL_VERSION, naming the version', () => {
    expect(codeOf(() => decodeMessage(Uint8Array.of(2, 4, 0, 0)))).toBe('E_PROTOCOL_VERSION')
    expect(() => decodeMessage(Uint8Array.of(2, 4, 0, 0))).toThrow(/format version 2/)
  })

  it('frames over MAX_FRAME are refused both ways (decoding: over LARGE_FRAME, the stream transports\' limit)', () => {
    expect(codeOf(() => decodeMessage(new Uint8Array(LARGE_FRAME + 1)))).toBe('E_FRAME_LENGTH')
    expect(codeOf(() => encodeMessage({ type: 'BLOCK', id: id1, objectType: 0, encoding: 0, rawLength: MAX_FRAME, totalLength: MAX_FRAME, offset: 0, bytes: new Uint8Array(MAX_FRAME) }))).toBe('E_FRAME_LENGTH')
  })

  it('refuses malformed values when decoding', () => {
    expect(codeOf(() => decodeMessage(Uint8Array.of(1, 3, 2, 0, 0, 0)))).toBe('E_PROTOCOL') // WANT mode 2
    expect(codeOf(() => decodeMessage(Uint8Array.of(1, 6, ...Buffer.from(id1, 'hex'), 0, 9, 0, 0, 0, 1, 0, 0, 0, 0, 5)))).toBe('E_PROTOCOL') // encoding 9
    expect(codeOf(() => decodeMessage(Uint8Array.of(1, 6, ...Buffer.from(id1, 'hex'), 0, 0, 0, 0, 0, 4, 0, 0, 0, 4, 0, 0, 0, 0)))).toBe('E_FRAME_LENGTH') // empty fragment
    expect(codeOf(() => decodeMessage(Uint8Array.of(1, 6, ...Buffer.from(id1, 'hex'), 0, 0, 0, 0, 0, 9, 0, 0, 0, 1, 0, 0, 0, 0, 5)))).toBe('E_FRAME_LENGTH') // raw with rawLength ≠ totalLength
    const json = (s: string): Uint8Array => Uint8Array.of(1, 1, s.length >> 8, s.length & 255, ...Buffer.from(s))
    expect(codeOf(() => decodeMessage(json('{nope')))).toBe('E_PROTOCOL')
    expect(codeOf(() => decodeMessage(json('[1]')))).toBe('E_PROTOCOL')
    expect(codeOf(() => decodeMessage(json('{"peerId":"x"}')))).toBe('E_PROTOCOL')
    expect(codeOf(() => decodeMessage(Uint8Array.of(1, 1, 0, 2, 0xff, 0xfe)))).toBe('E_PROTOCOL') // not UTF-8
    expect(codeOf(() => decodeMessage(Uint8Array.of(1, 1, 0xff, 0xff)))).toBe('E_FRAME_LENGTH') // HELLO over cap
    const refs = (s: string): Uint8Array => Uint8Array.of(1, 2, 0, 0, s.length >> 8, s.length & 255, ...Buffer.from(s))
    expect(codeOf(() => decodeMessage(refs('{"refs":5}')))).toBe('E_PROTOCOL')
    expect(codeOf(() => decodeMessage(refs(`{"refs":[{"name":"","id":"${id1}"}]}`)))).toBe('E_PROTOCOL')
    expect(codeOf(() => decodeMessage(refs('{"refs":[{"name":"a","id":"AB"}]}')))).toBe('E_PROTOCOL')
    expect(codeOf(() => decodeMessage(refs('{"refs":[null]}')))).toBe('E_PROTOCOL')
  })

  it('refuses bad messages when encoding with E_BAD_ARGUMENT', () => {
    const bad: unknown[] = [
      { type: 'NOPE' },
      { type: 'WANT', ids: ['XYZ'], mode: 'have', priority: 0 },
      { type: 'WANT', ids: 'x', mode: 'have', priority: 0 },
      { type: 'WANT', ids: [id1], mode: 'maybe', priority: 0 },
      { type: 'WANT', ids: [id1], mode: 'have', priority: 256 },
      { type: 'HAVE', ids: new Array(MAX_IDS_PER_MESSAGE + 1).fill(id1) },
      { type: 'HELLO', ...V2, peerId: 'x', name: 'a', publicKey: id1, teamId: null, nonce: id1, signature: null },
      { type: 'HELLO', ...V2, peerId: id1, name: 5, publicKey: id1, teamId: null, nonce: id1, signature: null },
      { type: 'HELLO', ...V2, peerId: id1, name: 'a', publicKey: 'x', teamId: null, nonce: id1, signature: null },
      { type: 'HELLO', ...V2, peerId: id1, name: 'a', publicKey: id1, teamId: 3, nonce: id1, signature: null },
      { type: 'HELLO', ...V2, peerId: id1, name: 'a', publicKey: id1, teamId: null, nonce: 'x', signature: null },
      { type: 'HELLO', ...V2, peerId: id1, name: 'a', publicKey: id1, teamId: null, nonce: id1, signature: id1 },
      { type: 'HELLO', ...V2, peerId: id1, name: 'a'.repeat(5000), publicKey: id1, teamId: null, nonce: id1, signature: null },
      { type: 'GOODBYE', code: 'nope', message: 'x' },
      { type: 'GOODBYE', code: 'E_AUTH', message: 5 },
      { type: 'GOODBYE', code: 'E_AUTH', message: 'x'.repeat(2000) },
      { type: 'HELLO', ...V2, version: 0, peerId: id1, name: 'a', publicKey: id1, teamId: null, nonce: id1, signature: null },
      { type: 'HELLO', ...V2, capabilities: 'done', peerId: id1, name: 'a', publicKey: id1, teamId: null, nonce: id1, signature: null },
      { type: 'HELLO', ...V2, capabilities: [1], peerId: id1, name: 'a', publicKey: id1, teamId: null, nonce: id1, signature: null },
      { type: 'HELLO', ...V2, certificate: { ...certificate, signature: 'x' }, peerId: id1, name: 'a', publicKey: id1, teamId: null, nonce: id1, signature: null },
      { type: 'HELLO', ...V2, certificate: { ...certificate, member: { name: 'a', publicKey: 'x', roles: [] } }, peerId: id1, name: 'a', publicKey: id1, teamId: null, nonce: id1, signature: null },
      { type: 'HELLO', ...V2, certificate: { ...certificate, issuer: { ...certificate, issuer: certificate } }, peerId: id1, name: 'a', publicKey: id1, teamId: null, nonce: id1, signature: null },
      { type: 'REFS', refs: new Array(MAX_REFS + 1).fill({ name: 'a', id: id1 }) },
      { type: 'BLOCK', id: 'x', objectType: 0, encoding: 0, rawLength: 1, totalLength: 1, offset: 0, bytes: new Uint8Array(1) },
      { type: 'BLOCK', id: id1, objectType: 300, encoding: 0, rawLength: 1, totalLength: 1, offset: 0, bytes: new Uint8Array(1) },
      { type: 'BLOCK', id: id1, objectType: 0, encoding: 2, rawLength: 1, totalLength: 1, offset: 0, bytes: new Uint8Array(1) },
      { type: 'BLOCK', id: id1, objectType: 0, encoding: 0, rawLength: -1, totalLength: -1, offset: 0, bytes: new Uint8Array(1) },
      { type: 'BLOCK', id: id1, objectType: 0, encoding: 0, rawLength: 1, totalLength: 1, offset: 0, bytes: [1] },
      { type: 'BLOCK', id: id1, objectType: 0, encoding: 0, rawLength: 1, totalLength: 1, offset: 1, bytes: new Uint8Array(1) },
      { type: 'BLOCK', id: id1, objectType: 0, encoding: 0, rawLength: 2, totalLength: 1, offset: 0, bytes: new Uint8Array(1) },
      { type: 'BLOCK', id: id1, objectType: 0, encoding: 1, totalLength: 1, offset: 0, bytes: new Uint8Array(1) },
      { type: 'BATCH', blocks: [] },
      { type: 'BATCH', blocks: 'x' },
      { type: 'BATCH', blocks: [{ type: 'HAVE', ids: [id1] }] },
      { type: 'BATCH', blocks: [{ type: 'BLOCK', id: 'x', objectType: 0, encoding: 0, rawLength: 1, totalLength: 1, offset: 0, bytes: new Uint8Array(1) }] },
      { type: 'BATCH', blocks: new Array(MAX_BATCH_ENTRIES + 1).fill({ type: 'BLOCK', id: id1, objectType: 0, encoding: 0, rawLength: 0, totalLength: 0, offset: 0, bytes: new Uint8Array(0) }) }
    ]
    for (const msg of bad) expect(codeOf(() => encodeMessage(msg as Message)), JSON.stringify(msg).slice(0, 80)).toBe('E_BAD_ARGUMENT')
  })

  it('fuzz: random bytes never throw anything but GasError', () => {
    let seed = 12345
    const rand = (): number => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed / 0x7fffffff }
    const valid = samples.map((msg) => encodeMessage(msg))
    for (let i = 0; i < 20_000; i++) {
      let frame: Uint8Array
      if (i % 2 === 0) {
        frame = Uint8Array.from({ length: Math.floor(rand() * 80) }, () => Math.floor(rand() * 256))
        if (frame.length > 1 && i % 4 === 0) { frame[0] = 1; frame[1] = 1 + Math.floor(rand() * 11) }
      } else {
        frame = valid[i % valid.length].slice()
        for (let k = 0; k < 3; k++) frame[Math.floor(rand() * frame.length)] = Math.floor(rand() * 256)
      }
      try {
        decodeMessage(frame)
      } catch (err) {
        expect(err).toBeInstanceOf(GasError)
        expect(['E_FRAME_LENGTH', 'E_PROTOCOL', 'E_PROTOCOL_VERSION']).toContain((err as GasError).code)
      }
    }
  })
})
