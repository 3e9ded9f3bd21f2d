import { describe, expect, it } from 'vitest'
import {
  BATCH_ENTRY_HEADER_BYTES, MESSAGES, chunkRefs, decodeMessage, encodeMessage, isKnownMessageId,
  type BatchMessage, type BlockMessage, type Message
} from '../../src/peer/wire/messages.js'
import { MAX_FRAME } from '../../src/peer/transport/transport.js'
import { V2, codeOf, hex, id1, id2, samples } from '../helpers/wire-samples.js'

// Malformed frames and messages: messages-malformed.test.ts; BLOCK fragments: block-fragments.test.ts

describe('wire table', () => {
  it('has stable ids', () => {
    expect(Object.fromEntries(Object.entries(MESSAGES).map(([k, v]) => [k, v.id]))).toEqual({ HELLO: 1, REFS: 2, WANT: 3, HAVE: 4, DONT_HAVE: 5, BLOCK: 6, CANCEL: 7, BATCH: 8, DONE: 9, END_OF_REFS: 10, GOODBYE: 11, DONT_HAVE_REASON: 12, LARGE_BATCH: 13, BUSY: 14 })
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
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14].every(isKnownMessageId)).toBe(true)
    expect(isKnownMessageId(15) || isKnownMessageId(0) || isKnownMessageId(255)).toBe(false)
    // BUSY: how many members a serve takes before the one it tells, a u16
    expect(Buffer.from(encodeMessage({ type: 'BUSY', ahead: 258 })).toString('hex')).toBe('010e0102')
    expect(codeOf(() => encodeMessage({ type: 'BUSY', ahead: 70_000 }))).toBe('E_BAD_ARGUMENT')
    expect(codeOf(() => encodeMessage({ type: 'BUSY', ahead: -1 }))).toBe('E_BAD_ARGUMENT')
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
    })
  }

  it('known bytes: BATCH frame layout', () => {
    const a: BlockMessage = { type: 'BLOCK', id: id1, objectType: 1, encoding: 0, rawLength: 5, totalLength: 5, offset: 3, bytes: Uint8Array.of(0xaa, 0xbb) }
    const b: BlockMessage = { type: 'BLOCK', id: id2, objectType: 2, encoding: 1, rawLength: 258, totalLength: 4, offset: 0, bytes: Uint8Array.of(0xcc) }
    const frame = encodeMessage({ type: 'BATCH', blocks: [a, b] })
    expect(Buffer.from(frame).toString('hex')).toBe('0108' + '0002' +
      '06' + '0030' + id1 + '0100' + '00000005' + '00000005' + '00000003' + 'aabb' +
      '06' + '002f' + id2 + '0201' + '00000102' + '00000004' + '00000000' + 'cc')
    expect(frame.byteLength).toBe(4 + 2 * BATCH_ENTRY_HEADER_BYTES + 3)
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
