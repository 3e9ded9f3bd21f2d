import { randomBytes } from 'node:crypto'
import * as nodeFs from 'node:fs/promises'
import { readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { GasError } from '../../src/errors.js'
import { hashObject } from '../../src/objects/id.js'
import type { FileSystem } from '../../src/objects/fs.js'
import { FileStore } from '../../src/pack/file-store.js'
import { crc32Of, entryChecksum } from '../../src/pack/entry-checksum.js'
import { encodeEntryHeader } from '../../src/pack/pack-entry.js'
import { checkStore } from '../../src/pack/fsck.js'
import { PackIndex, encodePackIndex } from '../../src/pack/pack-index.js'
import { recoverPack } from '../../src/pack/recover.js'
import { DEAD_PID } from '../helpers/dead-pid.js'
import { useTmp } from '../helpers/tmp.js'

const tmp = useTmp()
const codeOf = async (p: Promise<unknown>): Promise<string> => await p.then(() => 'no error', (err: GasError) => err.code)

async function storeWith (dir: string, chunks: Buffer[]): Promise<{ store: FileStore, ids: string[] }> {
  const store = await FileStore.open(join(dir, 'objects'))
  const ids: string[] = []
  for (const c of chunks) ids.push(await store.put('chunk', c))
  return { store, ids }
}

const packFiles = (dir: string, ext: string): string[] => readdirSync(join(dir, 'objects', 'pack')).filter((n) => n.endsWith(ext)).map((n) => join(dir, 'objects', 'pack', n))

describe('FileStore', () => {
  it('stores chunks in a pack and metadata loose, verified on every read', async () => {
    const dir = tmp()
    const text = Buffer.from('v 1 2 3\n'.repeat(5000))
    const noise = randomBytes(70_000)
    const { store, ids } = await storeWith(dir, [text, noise])
    const meta = await store.put('version', Buffer.from('{"x":1}'))
    expect(await store.has(ids[0])).toBe(true)
    expect(Buffer.from((await store.get(ids[0])).body).equals(text)).toBe(true) // read back before any checkpoint
    await store.closeAll()
    const reopened = await FileStore.open(join(dir, 'objects'))
    expect(Buffer.from((await reopened.get(ids[1])).body).equals(noise)).toBe(true)
    expect((await reopened.get(meta)).type).toBe('version')
    expect((await reopened.getEncoded(ids[0]))?.encoding).toBe(1) // compressible text is stored compressed
    expect((await reopened.getEncoded(ids[1]))?.encoding).toBe(0) // random bytes stay raw
    expect(await codeOf(reopened.get('c'.repeat(64)))).toBe('E_NOT_FOUND')
    expect(await reopened.getEncoded('c'.repeat(64))).toBeUndefined()
    await reopened.closeAll()
  })

  it('answers for a chunk given as its 32 bytes without I/O (hasChunkKey): in the open pack, in a closed one, absent; after a while it asks to look again', async () => {
    const dir = tmp()
    const { store, ids } = await storeWith(dir, [randomBytes(40_000), randomBytes(40_000)])
    const key = (id: string): Buffer => Buffer.from(id, 'hex')
    const absent = key(hashObject('chunk', Buffer.from('never stored')))
    try {
      expect(store.hasChunkKey(key(ids[0]))).toBe(true)
      await store.close()
      expect(store.hasChunkKey(key(ids[1]))).toBe(true)
      const later = await store.put('chunk', randomBytes(40_000))
      expect(store.hasChunkKey(key(later))).toBe(true)
      await store.refreshPacks()
      expect(store.hasChunkKey(absent)).toBe(false)
      // past the recheck interval another process may have added a pack: the caller asks has(), which looks
      await new Promise((resolve) => setTimeout(resolve, 150))
      expect(store.hasChunkKey(absent)).toBeUndefined()
      expect(await store.has(absent.toString('hex'), 'chunk')).toBe(false)
      expect(store.hasChunkKey(absent)).toBe(false)
    } finally {
      await store.closeAll()
    }
  })

  it('takes a received entry\'s CRC-32 computed elsewhere when it was started from this entry\'s header (receivedChecksumSeed), and computes it itself otherwise', async () => {
    const store = await FileStore.open(join(tmp(), 'objects'))
    try {
      const object = (bytes: Buffer): { type: 'chunk', encoding: 0, rawLength: number, bytes: Buffer } => ({ type: 'chunk', encoding: 0, rawLength: bytes.length, bytes })
      const [a, b, c] = ['a', 'b', 'c'].map((n) => randomBytes(30_000 + n.charCodeAt(0)))
      const [idA, idB, idC] = [a, b, c].map((bytes) => hashObject('chunk', bytes))
      const seedA = store.receivedChecksumSeed(idA, object(a))!
      const header = (id: string, bytes: Buffer): Buffer => encodeEntryHeader({ type: 'chunk', encoding: 0, rawLength: bytes.length, storedLength: bytes.length, id })
      expect(seedA).toBe(crc32Of(header(idA, a)))
      expect(store.receivedChecksumSeed(idA, { ...object(a), type: 'version' })).toBeUndefined() // versions rest loose
      await store.putEncoded(idA, object(a), idA, { seed: seedA, crc: entryChecksum(header(idA, a), a) })
      // a seed of another header: ignored, the store computes the checksum over the entry itself
      await store.putEncoded(idB, object(b), idB, { seed: seedA, crc: 12345 })
      // started from this header: taken as given (the caller computed it in the pass that hashed the bytes)
      const seedC = store.receivedChecksumSeed(idC, object(c))!
      await store.putEncoded(idC, object(c), idC, { seed: seedC, crc: 6789 })
      await store.flush()
      expect(store.locatePacked(idA)?.crc).toBe(entryChecksum(header(idA, a), a))
      expect(store.locatePacked(idB)?.crc).toBe(entryChecksum(header(idB, b), b))
      expect(store.locatePacked(idC)?.crc).toBe(6789)
    } finally {
      await store.closeAll()
    }
  })

  it('putEncoded refuses bytes that do not match the id and stores nothing', async () => {
    const dir = tmp()
    const store = await FileStore.open(join(dir, 'objects'))
    const body = Buffer.from('hello')
    const wrongId = hashObject('chunk', Buffer.from('other'))
    expect(await codeOf(store.putEncoded(wrongId, { type: 'chunk', encoding: 0, rawLength: 5, bytes: body }))).toBe('E_CORRUPT_OBJECT')
    expect(await store.has(wrongId)).toBe(false)
    expect(await codeOf(store.putEncoded(wrongId, { type: 'chunk', encoding: 1, rawLength: 5, bytes: body }))).toBe('E_CORRUPT_OBJECT')
    await store.putEncoded(hashObject('tree', Buffer.from('{}')), { type: 'tree', encoding: 0, rawLength: 2, bytes: Buffer.from('{}') })
    expect(await store.has(hashObject('tree', Buffer.from('{}')))).toBe(true)
    await store.closeAll()
  })

  it('a flipped byte in a pack is reported by fsck and by reads; other objects stay readable', async () => {
    const dir = tmp()
    const a = randomBytes(40_000); const b = randomBytes(40_000)
    const { store, ids } = await storeWith(dir, [a, b])
    await store.closeAll()
    const [pack] = packFiles(dir, '.pack')
    const bytes = readFileSync(pack)
    bytes[8 + 42 + 100] ^= 0xff // inside the first entry's payload
    writeFileSync(pack, bytes)
    const reopened = await FileStore.open(join(dir, 'objects'))
    const problems = await checkStore(reopened)
    expect(problems.map((p) => p.id)).toEqual([ids[0]])
    expect(problems[0].code).toBe('E_CORRUPT_OBJECT')
    expect(await codeOf(reopened.get(ids[0]))).toBe('E_CORRUPT_OBJECT')
    expect(Buffer.from((await reopened.get(ids[1])).body).equals(b)).toBe(true)
    await reopened.closeAll()
  })

  it('a truncated pack or a damaged index is a typed problem, not a crash', async () => {
    const dir = tmp()
    const { store, ids } = await storeWith(dir, [randomBytes(30_000)])
    const loose = await store.put('tree', Buffer.from('{"entries":[]}'))
    await store.closeAll()
    const [pack] = packFiles(dir, '.pack')
    truncateSync(pack, statSync(pack).size - 10)
    const reopened = await FileStore.open(join(dir, 'objects'))
    expect(reopened.packProblems[0].code).toBe('E_CORRUPT_PACK')
    expect(await codeOf(reopened.get(ids[0]))).toBe('E_NOT_FOUND')
    expect((await reopened.get(loose)).type).toBe('tree')
    expect((await checkStore(reopened)).map((p) => p.code)).toEqual(['E_CORRUPT_PACK'])
    const [idx] = packFiles(dir, '.idx')
    writeFileSync(idx, Buffer.from('GASI garbage'))
    const again = await FileStore.open(join(dir, 'objects'))
    expect(again.packProblems[0].code).toBe('E_CORRUPT_PACK')
    await reopened.closeAll()
    await again.closeAll()
  })

  it('a loose object with a flipped byte is reported', async () => {
    const dir = tmp()
    const store = await FileStore.open(join(dir, 'objects'))
    const id = await store.put('version', Buffer.from('{"a":1}'))
    const path = store.loose.pathOf(id)
    const bytes = readFileSync(path); bytes[bytes.length - 2] ^= 1; writeFileSync(path, bytes)
    expect(await codeOf(store.get(id))).toBe('E_CORRUPT_OBJECT')
    writeFileSync(path, Buffer.from('nonsense'))
    expect(await codeOf(store.get(id))).toBe('E_CORRUPT_OBJECT')
    writeFileSync(path, Buffer.from('version 99\0{}'))
    expect(await codeOf(store.get(id))).toBe('E_CORRUPT_OBJECT')
    expect((await checkStore(store)).length).toBe(1)
    await store.closeAll()
  })

  it('recovers chunks appended after the last index when the writer died', async () => {
    const dir = tmp()
    const chunks = [randomBytes(50_000), randomBytes(50_000), randomBytes(50_000)]
    const { store, ids } = await storeWith(dir, chunks.slice(0, 1))
    await store.flush() // index covers chunk 0
    for (const c of chunks.slice(1)) ids.push(await store.put('chunk', c))
    // simulate the process dying: bytes reach the file, the index is never rewritten, the lock names a dead pid
    await (store as unknown as { writer: { drain: () => Promise<void> } }).writer.drain()
    const [pack] = packFiles(dir, '.pack')
    writeFileSync(pack.replace(/\.pack$/, '.lock'), '999999999')
    const size = statSync(pack).size
    const withPartial = Buffer.concat([readFileSync(pack), Buffer.from([0, 0, 0, 1])]) // a torn last write
    writeFileSync(pack, withPartial)
    expect(PackIndex.parse(readFileSync(pack.replace(/\.pack$/, '.idx')), 'idx').count).toBe(1)
    const reopened = await FileStore.open(join(dir, 'objects'))
    for (let i = 0; i < 3; i++) expect(Buffer.from((await reopened.get(ids[i])).body).equals(chunks[i])).toBe(true)
    expect(PackIndex.parse(readFileSync(pack.replace(/\.pack$/, '.idx')), 'idx').packSize).toBe(size)
    expect(readdirSync(join(dir, 'objects', 'pack')).some((n) => n.endsWith('.lock'))).toBe(false)
    await reopened.closeAll()
    // the "dead" writer's handles are still open in this process: close them, not the garbage collector
    await (store as unknown as { writer: { handle: { close: () => Promise<void> } } }).writer.handle.close()
    for (const pack of store.packFiles()) await pack.close()
  })

  it('received objects reach the pack file within 1 MiB (a killed fetcher loses little); ingest writes in 2 MiB', async () => {
    const dir = tmp()
    const store = await FileStore.open(join(dir, 'objects'))
    const chunk = (i: number): Buffer => randomBytes(60_000 + i)
    // received: putEncoded; after ~1.2 MiB appended, at least ~0.6 MiB must be in the file already
    let appended = 0
    for (let i = 0; i < 20; i++) {
      const bytes = chunk(i)
      await store.putEncoded(hashObject('chunk', bytes), { type: 'chunk', encoding: 0, rawLength: bytes.length, bytes })
      appended += bytes.length
    }
    const [pack] = packFiles(dir, '.pack')
    // the write under way when the last put returned ends by itself (direct-writes-behind.test.ts)
    for (let i = 0; i < 500 && statSync(pack).size <= appended - 1024 * 1024; i++) await new Promise((resolve) => setTimeout(resolve, 10))
    expect(statSync(pack).size).toBeGreaterThan(appended - 1024 * 1024)
    await store.closeAll()
    // ingest: put of the same amount stays in the 2 MiB batch
    const dir2 = tmp()
    const ingest = await FileStore.open(join(dir2, 'objects'))
    for (let i = 0; i < 20; i++) await ingest.put('chunk', chunk(100 + i))
    expect(statSync(packFiles(dir2, '.pack')[0]).size).toBeLessThan(1024)
    await ingest.closeAll()
  })

  it('leaves a pack alone while its writer is alive', async () => {
    const dir = tmp()
    const { store } = await storeWith(dir, [randomBytes(20_000)])
    await (store as unknown as { writer: { drain: () => Promise<void> } }).writer.drain()
    const [pack] = packFiles(dir, '.pack')
    expect(await recoverPack(nodeFs, pack, pack.replace(/\.pack$/, '.idx'))).toBe(-1)
    await store.closeAll()
  })

  it('a pack whose writer was killed before it held its magic is dropped, not reported as damage', async () => {
    const dir = tmp()
    const { store, ids } = await storeWith(dir, [randomBytes(20_000)])
    await store.closeAll()
    const packDir = join(dir, 'objects', 'pack')
    const dead = String(DEAD_PID)
    for (const [name, bytes] of [['0'.repeat(32), Buffer.alloc(0)], ['1'.repeat(32), Buffer.from('GA')]] as const) {
      writeFileSync(join(packDir, `pack-${name}.lock`), dead)
      writeFileSync(join(packDir, `pack-${name}.pack`), bytes)
    }
    const reopened = await FileStore.open(join(dir, 'objects'))
    expect(reopened.packProblems).toEqual([])
    expect(await checkStore(reopened)).toEqual([])
    expect(await reopened.has(ids[0])).toBe(true)
    expect(readdirSync(packDir).filter((n) => n.startsWith(`pack-${'0'.repeat(32)}`) || n.startsWith(`pack-${'1'.repeat(32)}`))).toEqual([])
    await reopened.closeAll()
  })

  it('rebuilds an index from the pack alone when the index is missing', async () => {
    const dir = tmp()
    const chunks = [randomBytes(20_000), randomBytes(20_000)]
    const { store, ids } = await storeWith(dir, chunks)
    await store.closeAll()
    const [idx] = packFiles(dir, '.idx')
    await nodeFs.rm(idx)
    expect(packFiles(dir, '.idx')).toEqual([])
    const reopened = await FileStore.open(join(dir, 'objects'))
    // the index was written again from the pack alone, covering both entries and the whole pack
    const rebuilt = PackIndex.parse(readFileSync(idx), idx)
    expect(rebuilt.count).toBe(2)
    expect(rebuilt.packSize).toBe(statSync(packFiles(dir, '.pack')[0]).size)
    for (const [i, id] of ids.entries()) {
      expect(rebuilt.offsetOf(Buffer.from(id, 'hex'))).toBeGreaterThan(0)
      expect(Buffer.from((await reopened.get(id)).body).equals(chunks[i])).toBe(true)
    }
    await reopened.closeAll()
  })

  it('a full disk during a write fails with E_DISK_FULL and leaves the store readable', async () => {
    const dir = tmp()
    const { store, ids } = await storeWith(dir, [randomBytes(20_000)])
    await store.closeAll()
    let failWrites = false
    const enospc = (): never => { const e = new Error('no space') as NodeJS.ErrnoException; e.code = 'ENOSPC'; throw e }
    const fullFs: FileSystem = {
      ...nodeFs,
      writeFile: (async (...args: Parameters<typeof nodeFs.writeFile>) => { if (failWrites) enospc(); return await nodeFs.writeFile(...args) }) as typeof nodeFs.writeFile,
      open: (async (...args: Parameters<typeof nodeFs.open>) => {
        const handle = await nodeFs.open(...args)
        return new Proxy(handle, { get: (t, k) => (k === 'writev' || k === 'write') && failWrites ? enospc : (typeof (t as any)[k] === 'function' ? (t as any)[k].bind(t) : (t as any)[k]) })
      }) as typeof nodeFs.open
    }
    const full = await FileStore.open(join(dir, 'objects'), fullFs)
    await full.put('chunk', randomBytes(10_000))
    failWrites = true
    expect(await codeOf(full.put('version', Buffer.from('{}')))).toBe('E_DISK_FULL')
    await full.put('chunk', randomBytes(10_000))
    expect(await codeOf(full.close())).toBe('E_DISK_FULL')
    expect(await codeOf(full.closeAll())).toBe('no error') // the read handles close even so
    failWrites = false
    const after = await FileStore.open(join(dir, 'objects'))
    expect(await checkStore(after)).toEqual([])
    expect(await after.has(ids[0])).toBe(true)
    expect(readdirSync(join(dir, 'objects')).filter((n) => n.includes('tmp'))).toEqual([])
    await after.closeAll()
    await store.closeAll().catch(() => {})
  })

  it('pack index checks magic, version, length and checksum', () => {
    const idx = encodePackIndex([{ id: '01'.repeat(32), offset: 8 }], 100)
    expect(PackIndex.parse(idx, 'x').offsetOf(Buffer.alloc(32, 1))).toBe(8)
    expect(PackIndex.parse(idx, 'x').offsetOf(Buffer.alloc(32, 2))).toBeUndefined()
    for (const mutate of [(b: Buffer) => { b[0] = 0 }, (b: Buffer) => { b[7] = 9 }, (b: Buffer) => { b[b.length - 1] ^= 1 }, (b: Buffer) => { b.writeUInt32BE(5, 16) }]) {
      const copy = Buffer.from(idx); mutate(copy)
      expect(() => PackIndex.parse(copy, 'x')).toThrow(GasError)
    }
    expect(() => PackIndex.parse(idx.subarray(0, 100), 'x')).toThrow(GasError)
  })
})

describe('FileStore seen from another process', () => {
  it('asking about many missing chunks touches the disk about once per 100 ms, and still sees a new pack after that', async () => {
    const dir = tmp()
    let stats = 0
    const countingFs: FileSystem = { ...nodeFs, stat: (async (...args: Parameters<typeof nodeFs.stat>) => { stats++; return await nodeFs.stat(...args) }) as typeof nodeFs.stat }
    const reader = await FileStore.open(join(dir, 'objects'), countingFs)
    const writer = await FileStore.open(join(dir, 'objects'))
    const before = stats
    for (let i = 0; i < 2000; i++) expect(await reader.has(randomBytes(32).toString('hex'), 'chunk')).toBe(false)
    expect(stats - before).toBeLessThanOrEqual(10) // was two per miss
    const a = await writer.put('chunk', randomBytes(30_000))
    await writer.flush()
    await new Promise((resolve) => setTimeout(resolve, 120))
    expect(await reader.has(a, 'chunk')).toBe(true)
    await writer.closeAll()
    await reader.closeAll()
  })

  it('sees chunks another writer adds after a checkpoint, and new packs, without reopening', async () => {
    const dir = tmp()
    const reader = await FileStore.open(join(dir, 'objects'))
    const writer = await FileStore.open(join(dir, 'objects'))
    const a = await writer.put('chunk', randomBytes(30_000))
    await writer.flush()
    expect(await reader.has(a)).toBe(true)
    const b = await writer.put('chunk', randomBytes(30_000))
    await writer.flush() // same pack, longer index
    expect(await reader.has(b)).toBe(true)
    expect(Buffer.from((await reader.get(b)).body).length).toBe(30_000)
    expect(await reader.has('e'.repeat(64))).toBe(false)
    await writer.closeAll()
    await reader.closeAll()
  })
})
