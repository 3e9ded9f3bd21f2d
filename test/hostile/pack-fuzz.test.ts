import { createHash } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ENTRY_HEADER, decodeEntryHeader, encodeEntryHeader } from '../../src/pack/pack-entry.js'
import { PackIndex, encodePackIndex } from '../../src/pack/pack-index.js'
import { arrayBufferGrowth, decodeOutcome, fuzzDecoder, FUZZ_RUNS, hostileBytes } from './fuzz.js'

const id = (fill: number): string => Buffer.alloc(32, fill).toString('hex')
const CORRUPT = ['E_CORRUPT_PACK'] as const
const validIndex = encodePackIndex([{ id: id(0x10), offset: 8 }, { id: id(0x80), offset: 100 }, { id: id(0x81), offset: 300 }, { id: id(0xff), offset: 500 }], 900)

/** A mutation that keeps the trailer checksum right: what a buggy or hostile writer (not a bit flip on disk) makes. */
function resealed (bytes: Uint8Array): Buffer {
  const out = Buffer.from(bytes)
  if (out.length >= 32) createHash('sha256').update(out.subarray(0, out.length - 32)).digest().copy(out, out.length - 32)
  return out
}

/** Every lookup and listing on a parsed index must stay typed too: a corrupt index is found when parsed, not when read. */
function useIndex (bytes: Uint8Array): void {
  const index = PackIndex.parse(Buffer.from(bytes), 'x.idx')
  for (const probe of [id(0), id(0x10), id(0x80), id(0x81), id(0xfe), id(0xff)]) index.offsetOf(Buffer.from(probe, 'hex'))
  for (const entry of index.entries()) expect(entry.offset).toBeLessThanOrEqual(index.packSize)
}

describe('packs and pack indexes under hostile input', () => {
  it('pack index: random bytes and mutated indexes', () => {
    fuzzDecoder({ valid: [validIndex], decode: (bytes) => useIndex(bytes), codes: CORRUPT })
  })

  it('pack index: mutations with a correct trailer checksum (fanout, count, offsets) are refused when parsed', () => {
    fc.assert(fc.property(hostileBytes([validIndex]).map(resealed), (bytes) => {
      decodeOutcome(() => useIndex(bytes), CORRUPT)
    }), { numRuns: FUZZ_RUNS })
  })

  it('pack index: a count of 4 billion allocates nothing', () => {
    const bytes = Buffer.from(validIndex)
    bytes.writeUInt32BE(0xffffffff, 16)
    expect(arrayBufferGrowth(() => { decodeOutcome(() => useIndex(resealed(bytes)), CORRUPT) })).toBeLessThan(1024 * 1024)
  })

  it('pack entry header: random and mutated headers', () => {
    const valid = [encodeEntryHeader({ type: 'chunk', encoding: 1, rawLength: 1000, storedLength: 400, id: id(3) }), encodeEntryHeader({ type: 'tree', encoding: 0, rawLength: 50, storedLength: 50, id: id(4) })]
    fuzzDecoder({ valid, decode: (bytes) => decodeEntryHeader(Buffer.from(bytes), 'x.pack'), codes: CORRUPT })
    const huge = Buffer.from(valid[0])
    huge.writeUInt32BE(0xffffffff, 6)
    expect(decodeOutcome(() => decodeEntryHeader(huge, 'x.pack'), CORRUPT).ok).toBe(false)
    expect(ENTRY_HEADER).toBe(42)
  })
})
