import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { GasError } from '../../src/errors.js'
import { decodeAsset, encodeAsset, parseTagArgument, type Asset } from '../../src/objects/asset.js'
import { canonicalJson, decodeCanonical } from '../../src/objects/canonical-json.js'
import { decodeFileManifest, decodeFileManifestLazily, encodeFileManifest } from '../../src/objects/file-manifest.js'
import { assertObjectId, hashObject, objectTypeFromCode } from '../../src/objects/id.js'
import { decodeTag, encodeTag } from '../../src/objects/tag.js'
import { decodeTree, encodeTree } from '../../src/objects/tree.js'
import { decodeVersion, encodeVersion, formatAuthorTime, type Version } from '../../src/objects/version.js'

const A = 'a'.repeat(64)
const B = 'b'.repeat(64)
const code = (fn: () => unknown): string => {
  try { fn() } catch (err) { return (err as GasError).code }
  return 'no error'
}

describe('object ids', () => {
  it('hashes "<type> <size>\\0" + payload like git with SHA-256', () => {
    expect(hashObject('chunk', Buffer.from('hello'))).toBe(createHash('sha256').update('chunk 5\0hello').digest('hex'))
    expect(hashObject('chunk', Buffer.from('hello'))).not.toBe(hashObject('file', Buffer.from('hello')))
    expect(code(() => assertObjectId('xyz'))).toBe('E_BAD_ARGUMENT')
    expect(code(() => objectTypeFromCode(99))).toBe('E_CORRUPT_OBJECT')
  })
})

describe('canonical JSON', () => {
  it('sorts keys and refuses non-canonical bytes', () => {
    expect(canonicalJson({ b: 1, a: [true, null, 's'] })).toBe('{"a":[true,null,"s"],"b":1}')
    expect(code(() => decodeCanonical(Buffer.from('{"b":1,"a":2}'), 'x'))).toBe('E_CORRUPT_OBJECT')
    expect(code(() => decodeCanonical(Buffer.from('{nope'), 'x'))).toBe('E_CORRUPT_OBJECT')
    expect(code(() => canonicalJson(Number.NaN))).toBe('E_BAD_ARGUMENT')
    expect(code(() => canonicalJson(() => 1))).toBe('E_BAD_ARGUMENT')
  })
})

describe('file manifest', () => {
  const manifest = { size: 30, sha256: B, chunks: [{ id: A, length: 10 }, { id: B, length: 20 }] }
  it('round-trips in 36 bytes per chunk', () => {
    const bytes = encodeFileManifest(manifest)
    expect(bytes.length).toBe(49 + 2 * 36)
    expect(decodeFileManifest(bytes)).toEqual(manifest)
  })
  it('rejects truncation, bad magic and lengths that do not add up', () => {
    const bytes = Buffer.from(encodeFileManifest(manifest))
    expect(code(() => decodeFileManifest(bytes.subarray(0, 60)))).toBe('E_CORRUPT_OBJECT')
    expect(code(() => decodeFileManifest(bytes.subarray(0, 10)))).toBe('E_CORRUPT_OBJECT')
    const bad = Buffer.from(bytes); bad[0] = 0x41
    expect(code(() => decodeFileManifest(bad))).toBe('E_CORRUPT_OBJECT')
    expect(code(() => decodeFileManifest(encodeFileManifest({ ...manifest, size: 31 })))).toBe('E_CORRUPT_OBJECT')
    expect(code(() => decodeFileManifest(encodeFileManifest({ ...manifest, size: 20, chunks: [{ id: A, length: 0 }, { id: B, length: 20 }] })))).toBe('E_CORRUPT_OBJECT')
    const v2 = Buffer.from(bytes); v2[4] = 2
    expect(code(() => decodeFileManifest(v2))).toBe('E_CORRUPT_OBJECT')
  })
})

describe('file manifest, read lazily', () => {
  const manifest = { size: 30, sha256: B, chunks: [{ id: A, length: 10 }, { id: B, length: 20 }] }
  const lazy = (bytes: Uint8Array): unknown => { const m = decodeFileManifestLazily(bytes); return { size: m.size, sha256: m.sha256, count: m.count, chunks: [...m.chunks] } }
  it('gives the chunks decodeFileManifest gives, as often as it is iterated', () => {
    const m = decodeFileManifestLazily(encodeFileManifest(manifest))
    expect([...m.chunks]).toEqual(manifest.chunks)
    expect([...m.chunks]).toEqual(manifest.chunks)
    expect(lazy(encodeFileManifest(manifest))).toEqual({ ...manifest, count: 2 })
  })
  it('refuses what decodeFileManifest refuses, before any chunk is read', () => {
    const bytes = Buffer.from(encodeFileManifest(manifest))
    expect(code(() => lazy(bytes.subarray(0, 60)))).toBe('E_CORRUPT_OBJECT')
    expect(code(() => lazy(bytes.subarray(0, 10)))).toBe('E_CORRUPT_OBJECT')
    const bad = Buffer.from(bytes); bad[0] = 0x41
    expect(code(() => lazy(bad))).toBe('E_CORRUPT_OBJECT')
    expect(code(() => decodeFileManifestLazily(encodeFileManifest({ ...manifest, size: 31 })))).toBe('E_CORRUPT_OBJECT')
    expect(code(() => decodeFileManifestLazily(encodeFileManifest({ ...manifest, size: 20, chunks: [{ id: A, length: 0 }, { id: B, length: 20 }] })))).toBe('E_CORRUPT_OBJECT')
    const v2 = Buffer.from(bytes); v2[4] = 2
    expect(code(() => lazy(v2))).toBe('E_CORRUPT_OBJECT')
    const huge = Buffer.from(bytes); huge.writeBigUInt64BE(2n ** 60n, 5)
    expect(code(() => lazy(huge))).toBe('E_CORRUPT_OBJECT')
  })
})

describe('asset, tree, version, tag', () => {
  const asset: Asset = { file: A, size: 5, sha256: B, kind: 'texture', format: 'png', tags: { stage: 'wip' }, previews: [B, A] }
  it('asset round-trips with previews sorted; bad fields are refused', () => {
    expect(decodeAsset(encodeAsset(asset))).toEqual({ ...asset, previews: [A, B] })
    const bad = (patch: Record<string, unknown>): string => code(() => decodeAsset(Buffer.from(canonicalJson({ ...asset, ...patch }))))
    expect(bad({ kind: 'spaceship' })).toBe('E_CORRUPT_OBJECT')
    expect(bad({ file: 'x' })).toBe('E_CORRUPT_OBJECT')
    expect(bad({ size: -1 })).toBe('E_CORRUPT_OBJECT')
    expect(bad({ tags: { a: 1 } })).toBe('E_CORRUPT_OBJECT')
    expect(bad({ previews: ['x'] })).toBe('E_CORRUPT_OBJECT')
    expect(bad({ sha256: 'x' })).toBe('E_CORRUPT_OBJECT')
    expect(code(() => decodeAsset(Buffer.from('[]')))).toBe('E_CORRUPT_OBJECT')
  })
  it('tag arguments are KEY=VALUE with safe keys', () => {
    expect(parseTagArgument('stage=final=v2')).toEqual(['stage', 'final=v2'])
    expect(code(() => parseTagArgument('novalue'))).toBe('E_BAD_ARGUMENT')
    expect(code(() => parseTagArgument('bad key=1'))).toBe('E_BAD_ARGUMENT')
    expect(code(() => parseTagArgument(`k=${'x'.repeat(2000)}`))).toBe('E_BAD_ARGUMENT')
  })
  it('tree sorts entries and refuses names that escape the workspace', () => {
    const tree = { entries: [{ name: 'b.png', type: 'asset' as const, id: A }, { name: 'a', type: 'tree' as const, id: B }] }
    expect(decodeTree(encodeTree(tree)).entries.map((e) => e.name)).toEqual(['a', 'b.png'])
    for (const name of ['..', '.', 'a/b', '', '.gas', 'x\0y']) {
      expect(code(() => encodeTree({ entries: [{ name, type: 'asset', id: A }] }))).toBe('E_PATH_ESCAPE')
      expect(code(() => decodeTree(Buffer.from(canonicalJson({ entries: [{ id: A, name, type: 'asset' }] }))))).toBe('E_PATH_ESCAPE')
    }
    expect(code(() => encodeTree({ entries: [{ name: 'a', type: 'asset', id: A }, { name: 'a', type: 'asset', id: B }] }))).toBe('E_BAD_ARGUMENT')
    expect(code(() => decodeTree(Buffer.from(canonicalJson({ entries: [{ id: A, name: 'b', type: 'asset' }, { id: A, name: 'a', type: 'asset' }] }))))).toBe('E_CORRUPT_OBJECT')
    expect(code(() => decodeTree(Buffer.from(canonicalJson({ entries: [{ id: A, name: 'b', type: 'blob' }] }))))).toBe('E_CORRUPT_OBJECT')
  })
  const version: Version = {
    tree: A, parents: [B], author: { name: 'ana', publicKey: A }, time: { seconds: 1_790_000_000, offsetMinutes: 540, timeZone: 'Asia/Tokyo' },
    message: 'lighting pass', tags: { milestone: 'alpha' }, signature: null
  }
  it('version keeps the author time zone', () => {
    expect(decodeVersion(encodeVersion(version))).toEqual(version)
    expect(formatAuthorTime(version.time)).toBe('2026-09-21T23:13:20+09:00')
    expect(formatAuthorTime({ seconds: 0, offsetMinutes: -330, timeZone: 'x' })).toBe('1969-12-31T18:30:00-05:30')
    expect(code(() => decodeVersion(Buffer.from(canonicalJson({ ...version, signature: 'zz' }))))).toBe('E_CORRUPT_OBJECT')
    expect(code(() => decodeVersion(Buffer.from(canonicalJson({ ...version, time: { ...version.time, offsetMinutes: 5000 } }))))).toBe('E_CORRUPT_OBJECT')
    expect(code(() => decodeVersion(Buffer.from(canonicalJson({ ...version, parents: ['x'] }))))).toBe('E_CORRUPT_OBJECT')
    expect(code(() => decodeVersion(Buffer.from(canonicalJson({ ...version, tree: 'x' }))))).toBe('E_CORRUPT_OBJECT')
    expect(code(() => decodeVersion(Buffer.from(canonicalJson({ ...version, author: { name: 'a', publicKey: 'x' } }))))).toBe('E_CORRUPT_OBJECT')
  })
  it('tag round-trips and checks its fields', () => {
    const tag = { object: A, objectType: 'version' as const, name: 'v1', tagger: version.author, time: version.time, message: '', signature: 'c'.repeat(128) }
    expect(decodeTag(encodeTag(tag))).toEqual(tag)
    expect(code(() => decodeTag(Buffer.from(canonicalJson({ ...tag, objectType: 'blob' }))))).toBe('E_CORRUPT_OBJECT')
    expect(code(() => decodeTag(Buffer.from(canonicalJson({ ...tag, object: 'x' }))))).toBe('E_CORRUPT_OBJECT')
    expect(code(() => decodeTag(Buffer.from(canonicalJson({ ...tag, signature: 'x' }))))).toBe('E_CORRUPT_OBJECT')
  })
})
