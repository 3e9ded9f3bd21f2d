import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { GasError, isGasError } from '../../src/errors.js'
import {
  BATCH_ENTRY_HEADER_BYTES, BLOCK_FRAGMENT_BYTES, BLOCK_HEADER_BYTES, BlockAssembler, MAX_BATCH_ENTRIES, MAX_IDS_PER_MESSAGE, MAX_REFS, MESSAGES, chunkRefs, decodeMessage, encodeMessage, fragmentBlock, isKnownMessageId,
  type BatchMessage, type BlockMessage, type Message
} from '../../src/peer/wire/messages.js'
import { LARGE_FRAME, MAX_FRAME } from '../../src/peer/transport/transport.js'

const hex = (n: number, fill?: number): string => (fill === undefined ? randomBytes(n) : Buffer.alloc(n, fill)).toString('hex')
const id1 = hex(32, 0x11)
const id2 = hex(32, 0x22)
const V2 = { version: 2, capabilities: ['done', 'end-of-refs'], certificate: null }
const certificate = { team: 'team-1', member: { name: 'Aiko', publicKey: id1, roles: ['artist'] }, signature: hex(64) }

function codeOf (fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (err) {
    if (err instanceof GasError) return err.code
    throw err
  }
  return undefined
}

const samples: Message[] = [
  { type: 'HELLO', ...V2, peerId: hex(32), name: 'Aiko — art', publicKey: hex(32), teamId: 'team-1', nonce: hex(32), signature: hex(64) },
  { type: 'HELLO', ...V2, peerId: hex(32), name: '', publicKey: hex(32), teamId: null, nonce: hex(32), signature: null },
  { type: 'REFS', refs: [{ name: 'main', id: id1 }, { name: 'builds/win64/1.2.3', id: id2 }] },
  { type: 'HELLO', version: 7, capabilities: ['done', 'future-thing'], peerId: hex(32), name: 'b', publicKey: hex(32), teamId: 'team-1', nonce: hex(32), signature: hex(64), certificate },
  { type: 'HELLO', ...V2, peerId: hex(32), name: 'c', publicKey: hex(32), teamId: 'team-1', nonce: hex(32), signature: hex(64), certificate: { ...certificate, issuer: { ...certificate, member: { name: 'admin', publicKey: id2, roles: ['admin'] } } } },
  { type: 'REFS', refs: [] },
  { type: 'DONE' },
  { type: 'END_OF_REFS' },
  { type: 'GOODBYE', code: 'E_AUTH', message: 'mallory presented no membership certificate of team orcs: not a member' },
  { type: 'WANT', ids: [id1, id2], mode: 'block', priority: 7 },
  { type: 'WANT', ids: [id1], mode: 'have', priority: 255 },
  { type: 'HAVE', ids: [id1] },
  { type: 'DONT_HAVE', ids: [id1, id2] },
  { type: 'DONT_HAVE_REASON', reason: 'access-denied', ids: [id1, id2] },
  { type: 'CANCEL', ids: [] },
  { type: 'BLOCK', id: id1, objectType: 3, encoding: 1, rawLength: 1000, totalLength: 100, offset: 40, bytes: randomBytes(60) },
  { type: 'BLOCK', id: id2, objectType: 0, encoding: 0, rawLength: 0, totalLength: 0, offset: 0, bytes: new Uint8Array(0) },
  {
    type: 'BATCH',
    blocks: [
      { type: 'BLOCK', id: id1, objectType: 1, encoding: 0, rawLength: 90, totalLength: 90, offset: 70, bytes: randomBytes(20) },
      { type: 'BLOCK', id: id2, objectType: 0, encoding: 1, rawLength: 5000, totalLength: 300, offset: 0, bytes: randomBytes(30) },
      { type: 'BLOCK', id: hex(32), objectType: 2, encoding: 0, rawLength: 0, totalLength: 0, offset: 0, bytes: new Uint8Array(0) }
    ]
  },
  { type: 'BATCH', blocks: [{ type: 'BLOCK', id: id1, objectType: 0, encoding: 0, rawLength: 1, totalLength: 1, offset: 0, bytes: Uint8Array.of(7) }] }
]

describe('wire table', () => {
  it('has stable ids', () => {
    expect(Object.fromEntries(Object.entries(MESSAGES).map(([k, v]) => [k, v.id]))).toEqual({ HELLO: 1, REFS: 2, WANT: 3, HAVE: 4, DONT_HAVE: 5, BLOCK: 6, CANCEL: 7, BATCH: 8, DONE: 9, END_OF_REFS: 10, GOODBYE: 11, DONT_HAVE_REASON: 12, LARGE_BATCH: 13 })
  })

  it('known bytes: WANT frame layout', () => {
    const frame = encodeMessage({ type: 'WANT', ids: [id1], mode: 'block', priority: 9 })
    expect(Buffer.from(frame.subarray(0, 6)).toString('hex')).toBe('010301090001')
    expect(Buffer.from(frame.subarray(6)).toString('hex')).toBe(id1)
  })

  it('known bytes: BLOCK frame layout', () => {
    const frame = encodeMessage({ type: 'BLOCK', id: id2, objectType: 2, encoding: 1, rawLength: 1000, totalLength: 258, offset: 1, bytes: Uint8Array.of(0xaa, 0xbb) })
    expect(Buffer.from(frame).toString('hex')).toBe('0106' + id2 + '0201' + '000003e8' + '00000102' + '00000001' + 'aabb')
  })

  it('known bytes: HELLO is length-prefixed canonical JSON', () => {
    const msg: Message = { type: 'HELLO', ...V2, peerId: id1, name: 'a', publicKey: id2, teamId: null, nonce: id1, signature: null }
    const frame = encodeMessage(msg)
    const json = `{"capabilities":["done","end-of-refs"],"certificate":null,"name":"a","nonce":"${id1}","peerId":"${id1}","publicKey":"${id2}","signature":null,"teamId":null,"version":2}`
    expect(Buffer.from(frame.subarray(4)).toString()).toBe(json)
    expect(frame[2] * 256 + frame[3]).toBe(json.length)
  })

  it('known bytes: a version 1 HELLO (no version, capabilities or certificate) reads as version 1', () => {
    const json = Buffer.from(`{"name":"a","nonce":"${id1}","peerId":"${id1}","publicKey":"${id2}","signature":null,"teamId":null}`)
    const frame = Buffer.concat([Uint8Array.of(1, 1, json.length >> 8, json.length & 255), json])
    expect(decodeMessage(frame)).toEqual({ type: 'HELLO', version: 1, capabilities: [], certificate: null, name: 'a', nonce: id1, peerId: id1, publicKey: id2, signature: null, teamId: null })
  })

  it('known bytes: DONT_HAVE_REASON is a reason byte and an id list; an unknown reason reads as unknown', () => {
    const frame = encodeMessage({ type: 'DONT_HAVE_REASON', reason: 'access-denied', ids: [id1, id2] })
    expect(Buffer.from(frame).toString('hex')).toBe('010c' + '01' + '0002' + id1 + id2)
    expect(decodeMessage(frame)).toEqual({ type: 'DONT_HAVE_REASON', reason: 'access-denied', ids: [id1, id2] })
    const newer = Uint8Array.from(Buffer.from('010c' + '07' + '0001' + id1, 'hex'))
    expect(decodeMessage(newer)).toEqual({ type: 'DONT_HAVE_REASON', reason: 'unknown', ids: [id1] })
    expect(codeOf(() => decodeMessage(Uint8Array.from(Buffer.from('010c010002' + id1, 'hex'))))).toBe('E_FRAME_LENGTH')
    expect(codeOf(() => decodeMessage(Uint8Array.of(1, 12)))).toBe('E_FRAME_LENGTH')
    expect(codeOf(() => encodeMessage({ type: 'DONT_HAVE_REASON', reason: 'unknown', ids: [id1] }))).toBe('E_BAD_ARGUMENT')
    expect(codeOf(() => encodeMessage({ type: 'DONT_HAVE_REASON', reason: 'access-denied', ids: ['nope'] }))).toBe('E_BAD_ARGUMENT')
  })

  it('known bytes: DONE and END_OF_REFS are bare headers; unknown ids are known to be unknown', () => {
    expect(Buffer.from(encodeMessage({ type: 'DONE' })).toString('hex')).toBe('0109')
    expect(Buffer.from(encodeMessage({ type: 'END_OF_REFS' })).toString('hex')).toBe('010a')
    expect(codeOf(() => decodeMessage(Uint8Array.of(1, 9, 0)))).toBe('E_FRAME_LENGTH')
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13].every(isKnownMessageId)).toBe(true)
    expect(isKnownMessageId(14) || isKnownMessageId(0) || isKnownMessageId(255)).toBe(false)
    expect(codeOf(() => decodeMessage(Uint8Array.of(1, 99)))).toBe('E_PROTOCOL')
    expect(codeOf(() => decodeMessage(Uint8Array.of(2, 3)))).toBe('E_PROTOCOL_VERSION')
  })

  for (const msg of samples) {
    describe(`${msg.type} ${JSON.stringify(msg).slice(0, 40)}`, () => {
      const frame = encodeMessage(msg)
      it('round-trips', () => {
        const back = decodeMessage(frame)
        if (msg.type === 'BLOCK' && back.type === 'BLOCK') {
          expect({ ...back, bytes: [...back.bytes] }).toEqual({ ...msg, bytes: [...msg.bytes] })
        } else if (msg.type === 'BATCH' && back.type === 'BATCH') {
          const plain = (m: BatchMessage): unknown => m.blocks.map(b => ({ ...b, bytes: [...b.bytes] }))
          expect(plain(back)).toEqual(plain(msg))
        } else {
          expect(back).toEqual(msg)
        }
      })
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

  it('known bytes: BATCH frame layout', () => {
    const a: BlockMessage = { type: 'BLOCK', id: id1, objectType: 1, encoding: 0, rawLength: 5, totalLength: 5, offset: 3, bytes: Uint8Array.of(0xaa, 0xbb) }
    const b: BlockMessage = { type: 'BLOCK', id: id2, objectType: 2, encoding: 1, rawLength: 258, totalLength: 4, offset: 0, bytes: Uint8Array.of(0xcc) }
    const frame = encodeMessage({ type: 'BATCH', blocks: [a, b] })
    expect(Buffer.from(frame).toString('hex')).toBe('0108' + '0002' +
      '06' + '0030' + id1 + '0100' + '00000005' + '00000005' + '00000003' + 'aabb' +
      '06' + '002f' + id2 + '0201' + '00000102' + '00000004' + '00000000' + 'cc')
    expect(frame.byteLength).toBe(4 + 2 * BATCH_ENTRY_HEADER_BYTES + 3)
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

describe('chunkRefs', () => {
  it('splits a large advertisement into frames that fit', () => {
    const refs = Array.from({ length: 3000 }, (_, i) => ({ name: `builds/win64/${i}`, id: hex(32) }))
    const chunks = chunkRefs(refs)
    expect(chunks.length).toBeGreaterThan(1)
    for (const c of chunks) expect(encodeMessage(c).byteLength).toBeLessThanOrEqual(MAX_FRAME)
    expect(chunks.flatMap(c => (decodeMessage(encodeMessage(c)) as { refs: unknown[] }).refs)).toEqual(refs)
    expect(chunkRefs([])).toEqual([{ type: 'REFS', refs: [] }])
  })
})

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
