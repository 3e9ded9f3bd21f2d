import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { ChunkListBuilder, decodeFileManifest, encodeFileManifest, type ChunkRef } from '../../src/objects/file-manifest.js'

describe('ChunkListBuilder (ingest keeps a huge file\'s chunk list as manifest bytes)', () => {
  it('encodes exactly what encodeFileManifest encodes, past its first growth, and decodes back', () => {
    const chunks: ChunkRef[] = Array.from({ length: 5000 }, (_, i) => ({ id: createHash('sha256').update(String(i)).digest('hex'), length: 1 + (i * 7919) % 262_144 }))
    const size = chunks.reduce((sum, c) => sum + c.length, 0)
    const sha256 = createHash('sha256').update('whole').digest('hex')
    const builder = new ChunkListBuilder()
    for (const c of chunks) builder.push(c.id, c.length)
    expect(builder.count).toBe(5000)
    const bytes = builder.encode(size, sha256)
    expect(Buffer.from(bytes).equals(Buffer.from(encodeFileManifest({ size, sha256, chunks })))).toBe(true)
    expect(decodeFileManifest(bytes)).toEqual({ size, sha256, chunks })
  })

  it('an empty file has an empty list', () => {
    const sha256 = createHash('sha256').digest('hex')
    expect(decodeFileManifest(new ChunkListBuilder().encode(0, sha256))).toEqual({ size: 0, sha256, chunks: [] })
  })
})
