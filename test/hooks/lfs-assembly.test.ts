import { createHash, randomBytes } from 'node:crypto'
import * as nodeFs from 'node:fs/promises'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { LfsAssembly, writeLfsContent } from '../../src/hooks/lfs-content.js'
import { ObservedStore } from '../../src/hooks/observed-store.js'
import type { FileManifest } from '../../src/objects/file-manifest.js'
import { hashObject } from '../../src/objects/id.js'
import { MemoryStore } from '../../src/objects/memory-store.js'
import type { EncodedObject } from '../../src/objects/store.js'
import { useTmp } from '../helpers/tmp.js'

const tmp = useTmp()

/** `content` cut at `cuts` into chunks, with its manifest */
function chunked (content: Buffer, cuts: number[]): { manifest: FileManifest, pieces: Buffer[] } {
  const bounds = [0, ...cuts, content.length]
  const pieces = bounds.slice(1).map((end, i) => content.subarray(bounds[i], end))
  return {
    pieces,
    manifest: { size: content.length, sha256: createHash('sha256').update(content).digest('hex'), chunks: pieces.map((p) => ({ id: hashObject('chunk', p), length: p.length })) }
  }
}

const encoded = (piece: Buffer): EncodedObject => ({ type: 'chunk', encoding: 0, rawLength: piece.length, bytes: piece })

describe('LfsAssembly: the file git-lfs expects, written as the chunks come', () => {
  it('writes chunks arriving out of order, twice in one file, or already stored, into a file whose SHA-256 is the oid', async () => {
    const block = randomBytes(100_000)
    // the same 100 000 bytes at offsets 0 and 300 000: one chunk id at two places
    const content = Buffer.concat([block, randomBytes(200_000), block, randomBytes(18_000_000)])
    const { manifest, pieces } = chunked(content, [100_000, 300_000, 400_000, 4_000_000, 8_500_000])
    const store = new MemoryStore()
    await store.put('chunk', pieces[3])
    const out = join(tmp(), 'nested', 'object')
    const progress: number[] = []
    const assembly = await LfsAssembly.start({ fs: nodeFs, store, manifest, out, onProgress: (b) => progress.push(b) })
    await assembly.fillFromStore()
    expect(assembly.missing).toEqual([pieces[0], pieces[1], pieces[4], pieces[5]].map((p) => hashObject('chunk', p)))
    // the peers deliver the last chunk (larger than one write) first, then the others; chunk 0 also fills place 2
    for (const i of [5, 1, 0, 4]) await assembly.receive(hashObject('chunk', pieces[i]), encoded(pieces[i]))
    // an object of no concern (another file's chunk, a manifest) is ignored
    await assembly.receive(hashObject('chunk', block.subarray(1)), encoded(block.subarray(1)))
    expect(assembly.missing).toEqual([])
    expect(await assembly.complete()).toBe(true)
    expect(readFileSync(out).equals(content)).toBe(true)
    expect(assembly.path).toBe(out)
    expect(progress.at(-1)).toBe(content.length)
    // nothing is left beside it
    expect(readdirSync(join(out, '..'))).toEqual(['object'])
  })

  it('says what is missing, and leaves nothing behind when discarded', async () => {
    const content = randomBytes(50_000)
    const { manifest, pieces } = chunked(content, [20_000])
    const dir = tmp()
    const assembly = await LfsAssembly.start({ fs: nodeFs, store: new MemoryStore(), manifest, out: join(dir, 'object') })
    await assembly.receive(hashObject('chunk', pieces[1]), encoded(pieces[1]))
    expect(await assembly.complete()).toBe(false)
    expect(assembly.missing).toEqual([hashObject('chunk', pieces[0])])
    await assembly.discard()
    expect(readdirSync(dir)).toEqual([])
  })

  it('refuses content whose SHA-256 is not the manifest\'s (a forged manifest) and writes no file', async () => {
    const content = randomBytes(30_000)
    const { manifest, pieces } = chunked(content, [10_000])
    const dir = tmp()
    const assembly = await LfsAssembly.start({ fs: nodeFs, store: new MemoryStore(), manifest: { ...manifest, sha256: 'ab'.repeat(32) }, out: join(dir, 'object') })
    for (const p of pieces) await assembly.receive(hashObject('chunk', p), encoded(p))
    await expect(assembly.complete()).rejects.toMatchObject({ code: 'E_CORRUPT_OBJECT' })
    expect(readdirSync(dir)).toEqual([])
  })

  it('refuses a chunk whose length is not the manifest\'s, and a store lacking a chunk', async () => {
    const content = randomBytes(30_000)
    const { manifest, pieces } = chunked(content, [10_000])
    const dir = tmp()
    const assembly = await LfsAssembly.start({ fs: nodeFs, store: new MemoryStore(), manifest, out: join(dir, 'object') })
    await expect(assembly.receive(hashObject('chunk', pieces[0]), { ...encoded(pieces[0]), rawLength: 9_999 })).rejects.toMatchObject({ code: 'E_CORRUPT_OBJECT' })
    await assembly.discard()
    const store = new MemoryStore()
    await store.put('chunk', pieces[0])
    await expect(writeLfsContent(nodeFs, store, manifest, join(dir, 'object'))).rejects.toMatchObject({ code: 'E_NOT_FOUND' })
    expect(readdirSync(dir)).toEqual([])
  })

  it('a file that cannot be created is a GasError naming it', async () => {
    const { manifest } = chunked(randomBytes(10), [])
    const file = join(tmp(), 'a-file')
    await nodeFs.writeFile(file, 'x')
    await expect(LfsAssembly.start({ fs: nodeFs, store: new MemoryStore(), manifest, out: join(file, 'object') })).rejects.toMatchObject({ code: expect.stringMatching(/^E_/), message: expect.stringContaining('a-file') })
    expect(existsSync(join(file, 'object'))).toBe(false)
  })
})

describe('ObservedStore', () => {
  it('tells of each object once the store verified it, and of none it refused', async () => {
    const inner = new MemoryStore()
    const store = new ObservedStore(inner)
    const seen: string[] = []
    store.onStored = async (id) => { seen.push(id) }
    const good = Buffer.from('good')
    await store.putEncoded(hashObject('chunk', good), encoded(good))
    await expect(store.putEncoded('00'.repeat(32), encoded(good))).rejects.toMatchObject({ code: 'E_CORRUPT_OBJECT' })
    expect(seen).toEqual([hashObject('chunk', good)])
    const id = await store.put('chunk', Buffer.from('plain'))
    expect(await store.has(id)).toBe(true)
    expect((await store.get(id)).body).toEqual(new Uint8Array(Buffer.from('plain')))
    expect((await store.getEncoded(id))?.rawLength).toBe(5)
    expect(store.completeTrees).toBe(inner.completeTrees)
    await store.flush()
  })
})
