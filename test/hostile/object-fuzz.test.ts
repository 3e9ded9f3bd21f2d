import fc from 'fast-check'
import { Encoder } from '@toondepauw/node-zstd'
import { describe, expect, it } from 'vitest'
import { decodeAsset, encodeAsset } from '../../src/objects/asset.js'
import { decodeBuild, encodeBuild, type Build } from '../../src/objects/build.js'
import { canonicalJson, decodeCanonical } from '../../src/objects/canonical-json.js'
import { MAX_DECODED_BYTES, compressChunk, decompress } from '../../src/objects/compression.js'
import { decodeFileManifest, encodeFileManifest } from '../../src/objects/file-manifest.js'
import { hashObject } from '../../src/objects/id.js'
import { MemoryStore } from '../../src/objects/memory-store.js'
import { decodePreview, encodePreview } from '../../src/objects/preview.js'
import { decodeTag, encodeTag } from '../../src/objects/tag.js'
import { decodeTree, encodeTree } from '../../src/objects/tree.js'
import { decodeVersion, encodeVersion } from '../../src/objects/version.js'
import { zstdDecodedBound } from '../../src/objects/zstd-bound.js'
import { arrayBufferGrowth, decodeOutcome, decodeOutcomeAsync, fuzzDecoder, FUZZ_RUNS, hostileBytes, jsonMutants } from './fuzz.js'

const id = (fill: number): string => Buffer.alloc(32, fill).toString('hex')
const author = { name: 'Aiko', publicKey: id(7) }
const time = { seconds: 1_790_000_000, offsetMinutes: 540, timeZone: 'Asia/Tokyo' }
const CORRUPT = ['E_CORRUPT_OBJECT'] as const
/** checkEntryName / checkBuildPath refuse names that escape or collide, whoever wrote the object */
const CORRUPT_OR_ESCAPE = ['E_CORRUPT_OBJECT', 'E_PATH_ESCAPE'] as const

const build: Build = {
  name: 'game', version: '1.2.3', platform: 'win64', engine: { name: 'godot', version: '4.3' }, source: { kind: 'git', version: 'abc' },
  publisher: author, time, merkleRoot: id(9), signature: null,
  files: [{ path: 'bin/game.exe', mode: 0o755, size: 3, sha256: id(1), file: id(2) }, { path: 'data/a.pak', mode: 0o644, size: 0, sha256: id(3), file: id(4) }],
  dependencies: [{ name: 'engine@4.3', type: 'build', id: id(5) }]
}

describe('object decoders under hostile input', () => {
  it('tree', () => fuzzDecoder({ valid: [encodeTree({ entries: [{ name: 'art', type: 'tree', id: id(1) }, { name: 'hero.png', type: 'asset', id: id(2) }] })], decode: decodeTree, codes: CORRUPT_OR_ESCAPE }))
  it('asset', () => fuzzDecoder({ valid: [encodeAsset({ file: id(1), size: 10, sha256: id(2), kind: 'texture', format: 'png', tags: { a: 'b' }, previews: [id(3)] })], decode: decodeAsset, codes: CORRUPT }))
  it('version', () => fuzzDecoder({ valid: [encodeVersion({ tree: id(1), parents: [id(2)], author, time, message: 'first', tags: {}, signature: 'ab'.repeat(64) })], decode: decodeVersion, codes: CORRUPT }))
  it('tag', () => fuzzDecoder({ valid: [encodeTag({ object: id(1), objectType: 'version', name: 'v1', tagger: author, time, message: 'release', signature: null })], decode: decodeTag, codes: CORRUPT }))
  it('build manifest', () => fuzzDecoder({ valid: [encodeBuild(build)], decode: decodeBuild, codes: CORRUPT_OR_ESCAPE }))
  it('file manifest', () => fuzzDecoder({ valid: [encodeFileManifest({ size: 30, sha256: id(1), chunks: [{ id: id(2), length: 10 }, { id: id(3), length: 20 }] })], decode: decodeFileManifest, codes: CORRUPT }))
  it('preview', () => fuzzDecoder({
    valid: [encodePreview({ kind: 'texture', format: 'png', info: { width: 4 }, image: { format: 'png', width: 4, height: 4, bytes: new Uint8Array(20) }, clip: { format: 'wav', bytes: new Uint8Array(8) }, error: null })],
    decode: decodePreview,
    codes: CORRUPT
  }))

  it('canonical documents with any field replaced by any JSON value decode or fail typed', () => {
    const documents: Array<[Uint8Array, (bytes: Uint8Array) => unknown, readonly string[]]> = [
      [encodeTree({ entries: [{ name: 'art', type: 'tree', id: id(1) }, { name: 'hero.png', type: 'asset', id: id(2) }] }), decodeTree, CORRUPT_OR_ESCAPE],
      [encodeAsset({ file: id(1), size: 10, sha256: id(2), kind: 'texture', format: 'png', tags: { a: 'b' }, previews: [id(3)] }), decodeAsset, CORRUPT],
      [encodeVersion({ tree: id(1), parents: [id(2)], author, time, message: 'first', tags: {}, signature: 'ab'.repeat(64) }), decodeVersion, CORRUPT],
      [encodeTag({ object: id(1), objectType: 'version', name: 'v1', tagger: author, time, message: 'release', signature: null }), decodeTag, CORRUPT],
      [encodeBuild(build), decodeBuild, CORRUPT_OR_ESCAPE]
    ]
    for (const [bytes, decode, codes] of documents) {
      fc.assert(fc.property(jsonMutants(JSON.parse(Buffer.from(bytes).toString())), (doc) => {
        let text: string
        try { text = canonicalJson(doc) } catch { return }
        decodeOutcome(() => decode(Buffer.from(text)), codes as never)
      }), { numRuns: FUZZ_RUNS })
    }
  })

  it('canonical JSON nested 100 000 deep is refused, not a stack overflow', () => {
    for (const text of ['['.repeat(100_000) + ']'.repeat(100_000), '{"a":'.repeat(50_000) + '1' + '}'.repeat(50_000)]) {
      expect(decodeOutcome(() => decodeCanonical(Buffer.from(text), 'tree'), CORRUPT).ok).toBe(false)
    }
  })

  it('a file manifest claiming 4 billion chunks allocates nothing', () => {
    const bytes = Buffer.from(encodeFileManifest({ size: 0, sha256: id(1), chunks: [] }))
    bytes.writeUInt32BE(0xffffffff, 45)
    expect(arrayBufferGrowth(() => { decodeOutcome(() => decodeFileManifest(bytes), CORRUPT) })).toBeLessThan(1024 * 1024)
  })
})

describe('zstd streams under hostile input', () => {
  const encoder = new Encoder(1)
  const honest = [Buffer.alloc(300_000, 1), Buffer.from('hello hello hello hello hello'), Buffer.alloc(0)].map((raw) => ({ raw, z: encoder.encodeSync(raw) }))

  it('honest streams decode to their length', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300_000 }), fc.integer({ min: 0, max: 5 }), (bytes, repeat) => {
      const raw = Buffer.concat(Array.from({ length: repeat + 1 }, () => bytes))
      const packed = compressChunk(raw)
      expect(Buffer.from(decompress(packed.encoding, packed.bytes, raw.length, 'x')).equals(raw)).toBe(true)
    }), { numRuns: 40 })
  })

  it('random and mutated streams decode to their length or fail E_CORRUPT_OBJECT', () => {
    fc.assert(fc.property(hostileBytes(honest.map(h => h.z)), fc.constantFrom(...honest.map(h => h.raw.length)), (bytes, rawLength) => {
      decodeOutcome(() => decompress(1, bytes, rawLength, 'x'), CORRUPT)
    }), { numRuns: FUZZ_RUNS })
  })

  it('a 6 KiB bomb claiming to be 10 bytes is refused before it is decoded', async () => {
    const bomb = encoder.encodeSync(Buffer.alloc(200 * 1024 * 1024))
    expect(bomb.length).toBeLessThan(64 * 1024)
    expect(zstdDecodedBound(bomb)).toBeGreaterThan(200 * 1024 * 1024 - 1)
    expect(arrayBufferGrowth(() => {
      expect(decodeOutcome(() => decompress(1, bomb, 10, 'x'), CORRUPT)).toEqual({ ok: false, code: 'E_CORRUPT_OBJECT' })
    })).toBeLessThan(8 * 1024 * 1024)
    // the same bomb arriving from a peer as a BLOCK is refused by the store, which keeps nothing
    const store = new MemoryStore()
    const claimed = hashObject('chunk', Buffer.alloc(10))
    expect(await decodeOutcomeAsync(async () => await store.putEncoded(claimed, { type: 'chunk', encoding: 1, rawLength: 10, bytes: bomb }), CORRUPT)).toEqual({ ok: false, code: 'E_CORRUPT_OBJECT' })
    expect(await store.has(claimed)).toBe(false)
    expect(decodeOutcome(() => decompress(1, bomb, MAX_DECODED_BYTES + 1, 'x'), CORRUPT).ok).toBe(false)
  })
})
