import { createHash, randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync, statSync, openSync, writeSync, closeSync } from 'node:fs'
import * as nodeFs from 'node:fs/promises'
import type { FileHandle } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { GasError } from '../../src/errors.js'
import type { ChunkRef, FileManifest } from '../../src/objects/file-manifest.js'
import type { FileSystem } from '../../src/objects/fs.js'
import { hashObject } from '../../src/objects/id.js'
import { FileStore } from '../../src/pack/file-store.js'
import { RUN_READ_BYTES } from '../../src/pack/chunk-runs.js'
import { ENTRY_HEADER } from '../../src/pack/pack-entry.js'
import { PackIndex, encodePackIndex } from '../../src/pack/pack-index.js'
import { writeFileContent } from '../../src/repo/file-content-writer.js'
import { gasSpawn, gasSync } from '../helpers/cli.js'
import { useTmp } from '../helpers/tmp.js'

const tmp = useTmp()

/** `size` bytes of content, every third chunk compressible (so both pack encodings are read), cut into chunks of 1 B–256 KiB. */
function contentInChunks (size: number): { content: Buffer, pieces: Buffer[] } {
  const content = randomBytes(size)
  const pieces: Buffer[] = []
  for (let at = 0, i = 0; at < size; i++) {
    const length = Math.min(size - at, 1 + (i * 104_729) % (256 * 1024))
    const piece = content.subarray(at, at + length)
    if (i % 3 === 0) piece.fill(i & 0xff)
    pieces.push(piece)
    at += length
  }
  return { content, pieces }
}

function manifestOf (content: Buffer, pieces: Buffer[]): FileManifest {
  const chunks: ChunkRef[] = pieces.map((p) => ({ id: hashObject('chunk', p), length: p.length }))
  return { size: content.length, sha256: createHash('sha256').update(content).digest('hex'), chunks }
}

/** Deterministic shuffle: chunks arrive in any order, as a fetch from several peers receives them. */
function shuffled<T> (items: T[]): T[] {
  const out = [...items]
  for (let i = out.length - 1, seed = 7; i > 0; i--) {
    seed = (seed * 48271) % 2147483647
    const j = seed % (i + 1);
    [out[i], out[j]] = [out[j], out[i]]
  }
  return out
}

describe('writeFileContent (restore and checkout)', () => {
  it('writes a file whose chunks arrived out of order, across packs and the open pack, byte for byte', async () => {
    const dir = tmp()
    const { content, pieces } = contentInChunks(3 * RUN_READ_BYTES + 12345)
    const manifest = manifestOf(content, pieces)
    const order = shuffled(pieces)
    const store = await FileStore.open(join(dir, 'objects'))
    const third = Math.floor(order.length / 3)
    for (const p of order.slice(0, third)) await store.put('chunk', p)
    await store.close() // a closed pack
    for (const p of order.slice(third)) await store.put('chunk', p) // the rest still in the open pack
    const out = join(dir, 'work', 'sub', 'asset.bin')
    await writeFileContent(nodeFs, store, manifest, out)
    expect(readFileSync(out).equals(content)).toBe(true)
    // and again from a fresh process's view: every pack closed, read by runs
    await store.closeAll()
    const reopened = await FileStore.open(join(dir, 'objects'))
    const again = join(dir, 'again.bin')
    await writeFileContent(nodeFs, reopened, { ...manifest, chunks: [...manifest.chunks, manifest.chunks[0]], size: manifest.size + pieces[0].length, sha256: createHash('sha256').update(content).update(pieces[0]).digest('hex') }, again)
    expect(readFileSync(again).equals(Buffer.concat([content, pieces[0]]))).toBe(true)
    expect(readdirSync(dir).filter((n) => n.includes('gas-tmp'))).toEqual([])
    await reopened.closeAll()
  })

  it('names a damaged chunk, leaves no file at the target and no temporary file', async () => {
    const dir = tmp()
    const { content, pieces } = contentInChunks(2 * 1024 * 1024)
    const manifest = manifestOf(content, pieces)
    const store = await FileStore.open(join(dir, 'objects'))
    for (const p of pieces) await store.put('chunk', p)
    await store.closeAll()
    // flip one byte inside the second chunk's stored bytes (a raw one: index 1 is random data)
    const packDir = join(dir, 'objects', 'pack')
    const pack = join(packDir, readdirSync(packDir).find((n) => n.endsWith('.pack'))!)
    const bytes = readFileSync(pack)
    const at = bytes.indexOf(pieces[1].subarray(0, 64))
    expect(at).toBeGreaterThan(0)
    const fd = openSync(pack, 'r+')
    writeSync(fd, Buffer.from([bytes[at + 10] ^ 0xff]), 0, 1, at + 10)
    closeSync(fd)
    const reopened = await FileStore.open(join(dir, 'objects'))
    const out = join(dir, 'asset.bin')
    const err = await writeFileContent(nodeFs, reopened, manifest, out).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(GasError)
    expect((err as GasError).code).toBe('E_CORRUPT_OBJECT')
    expect((err as GasError).message).toContain(manifest.chunks[1].id)
    expect(existsSync(out)).toBe(false)
    expect(readdirSync(dir).filter((n) => n.includes('gas-tmp'))).toEqual([])
    await reopened.closeAll()
  })

  it('a store written before entry checksums (version 1 indexes) restores byte for byte, each chunk checked by its id; damage there is named too', async () => {
    const dir = tmp()
    const { content, pieces } = contentInChunks(RUN_READ_BYTES + 300_000)
    const manifest = manifestOf(content, pieces)
    const store = await FileStore.open(join(dir, 'objects'))
    for (const p of pieces) await store.put('chunk', p)
    await store.closeAll()
    const packDir = join(dir, 'objects', 'pack')
    const idx = join(packDir, readdirSync(packDir).find((n) => n.endsWith('.idx'))!)
    const index = PackIndex.parse(readFileSync(idx), idx)
    writeFileSync(idx, encodePackIndex([...index.entries()].map(({ id, offset }) => ({ id, offset })), index.packSize))
    expect(readFileSync(idx).readUInt32BE(4)).toBe(1)
    const old = await FileStore.open(join(dir, 'objects'))
    await writeFileContent(nodeFs, old, manifest, join(dir, 'restored.bin'))
    expect(readFileSync(join(dir, 'restored.bin')).equals(content)).toBe(true)
    await old.closeAll()
    // a flipped byte in a compressed entry (chunk 3 is compressible): refused, named, nothing written
    const pack = join(packDir, readdirSync(packDir).find((n) => n.endsWith('.pack'))!)
    const entryAt = index.offsetOf(Buffer.from(manifest.chunks[3].id, 'hex'))!
    expect(readFileSync(pack)[entryAt + 1]).toBe(1)
    const at = entryAt + ENTRY_HEADER + (readFileSync(pack).readUInt32BE(entryAt + 6) >> 1)
    const fd = openSync(pack, 'r+')
    writeSync(fd, Buffer.from([readFileSync(pack)[at] ^ 0x01]), 0, 1, at)
    closeSync(fd)
    const damaged = await FileStore.open(join(dir, 'objects'))
    const err = await writeFileContent(nodeFs, damaged, manifest, join(dir, 'again.bin')).catch((e: unknown) => e)
    expect((err as GasError).code).toBe('E_CORRUPT_OBJECT')
    expect((err as GasError).message).toContain(manifest.chunks[3].id)
    expect(existsSync(join(dir, 'again.bin'))).toBe(false)
    expect(readdirSync(dir).filter((n) => n.includes('gas-tmp'))).toEqual([])
    await damaged.closeAll()
  })

  it('a damaged compressed entry in a pack with checksums is refused with E_CORRUPT_OBJECT naming it, and `gas restore` leaves no file', async () => {
    const dir = tmp()
    const content = Buffer.concat([Buffer.alloc(3 * 1024 * 1024, 'abc'), randomBytes(3 * 1024 * 1024)])
    writeFileSync(join(dir, 'asset.bin'), content)
    expect(gasSync(dir, ['init', '--name', 'a']).status).toBe(0)
    expect(gasSync(dir, ['add', 'asset.bin']).status).toBe(0)
    expect(gasSync(dir, ['commit', '-m', 'one']).status).toBe(0)
    const ok = gasSync(dir, ['restore', 'asset.bin', '--version', 'main', '--out', 'good.bin'])
    expect(ok.status).toBe(0)
    expect(readFileSync(join(dir, 'good.bin')).equals(content)).toBe(true)
    // flip a byte inside the first (compressed) entry of the pack: just past the magic and its header
    const packDir = join(dir, '.gas', 'objects', 'pack')
    const pack = join(packDir, readdirSync(packDir).find((n) => n.endsWith('.pack'))!)
    const bytes = readFileSync(pack)
    expect(bytes[9]).toBe(1) // the first entry is stored compressed
    const at = 8 + ENTRY_HEADER + (bytes.readUInt32BE(8 + 6) >> 1)
    const fd = openSync(pack, 'r+')
    writeSync(fd, Buffer.from([bytes[at] ^ 0x10]), 0, 1, at)
    closeSync(fd)
    const bad = gasSync(dir, ['restore', 'asset.bin', '--version', 'main', '--out', 'bad.bin'])
    expect(bad.status).toBe(1)
    expect(bad.stderr).toMatch(/^gas: E_CORRUPT_OBJECT: /)
    expect(bad.stderr).toContain(bytes.toString('hex', 8 + 10, 8 + 42))
    expect(existsSync(join(dir, 'bad.bin'))).toBe(false)
    expect(readdirSync(dir).filter((n) => n.includes('gas-tmp'))).toEqual([])
  }, 60_000)

  it('reports a chunk not here as E_NOT_FOUND with its id (selective sync relies on it) and keeps the old file', async () => {
    const dir = tmp()
    const { content, pieces } = contentInChunks(600_000)
    const manifest = manifestOf(content, pieces)
    const store = await FileStore.open(join(dir, 'objects'))
    for (const p of pieces.slice(0, -1)) await store.put('chunk', p)
    const out = join(dir, 'asset.bin')
    writeFileSync(out, 'old content')
    const err = await writeFileContent(nodeFs, store, manifest, out).catch((e: unknown) => e)
    expect((err as GasError).code).toBe('E_NOT_FOUND')
    expect((err as GasError).data.id).toBe(manifest.chunks.at(-1)!.id)
    expect(readFileSync(out, 'utf8')).toBe('old content')
    await store.closeAll()
  })

  it('content this peer lacks leaves no empty folder behind, and a folder that holds something stays', async () => {
    const dir = tmp()
    const { content, pieces } = contentInChunks(300_000)
    const manifest = manifestOf(content, pieces)
    const store = await FileStore.open(join(dir, 'objects'))
    const work = join(dir, 'work')
    mkdirSync(join(work, 'textures'), { recursive: true })
    writeFileSync(join(work, 'textures', 'kept.png'), 'x')
    for (const out of [join(work, 'audio', 'music', 'theme.ogg'), join(work, 'textures', 'new', 'rock.png')]) {
      const err = await writeFileContent(nodeFs, store, manifest, out).catch((e: unknown) => e)
      expect((err as GasError).code).toBe('E_NOT_FOUND')
    }
    expect(existsSync(join(work, 'audio'))).toBe(false)
    expect(readdirSync(join(work, 'textures'))).toEqual(['kept.png'])
    await store.closeAll()
  })

  it('a disk that fills mid-write leaves the old file and no temporary file (E_DISK_FULL)', async () => {
    const dir = tmp()
    const { content, pieces } = contentInChunks(2 * RUN_READ_BYTES + 1000)
    const manifest = manifestOf(content, pieces)
    const store = await FileStore.open(join(dir, 'objects'))
    for (const p of pieces) await store.put('chunk', p)
    const full: FileSystem = {
      ...nodeFs,
      open: (async (path: string, flags?: string) => {
        const handle = await nodeFs.open(path, flags)
        if (!path.includes('gas-tmp')) return handle
        let calls = 0
        return new Proxy(handle, {
          get (target, prop) {
            const value = Reflect.get(target, prop) as unknown
            if (prop === 'writev') {
              // the first write lands, every later one finds the disk full
              return async (buffers: Uint8Array[], position: number) => {
                if (calls++ > 0) throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' })
                return await target.writev(buffers, position)
              }
            }
            return typeof value === 'function' ? value.bind(target) : value
          }
        }) as FileHandle
      }) as FileSystem['open']
    }
    const out = join(dir, 'asset.bin')
    writeFileSync(out, 'old content')
    const err = await writeFileContent(full, store, manifest, out).catch((e: unknown) => e)
    expect((err as GasError).code).toBe('E_DISK_FULL')
    expect(readFileSync(out, 'utf8')).toBe('old content')
    expect(readdirSync(dir).filter((n) => n.includes('gas-tmp'))).toEqual([])
    await store.closeAll()
  })

  it('a `gas restore` killed mid-write leaves no partial file at the target', async () => {
    const dir = tmp()
    const content = randomBytes(96 * 1024 * 1024)
    writeFileSync(join(dir, 'big.bin'), content)
    expect(gasSync(dir, ['init', '--name', 'a']).status).toBe(0)
    expect(gasSync(dir, ['add', 'big.bin']).status).toBe(0)
    expect(gasSync(dir, ['commit', '-m', 'one']).status).toBe(0)
    mkdirSync(join(dir, 'out')) // restore --out writes into a folder that exists
    const child = gasSpawn(dir, ['restore', 'big.bin', '--version', 'main', '--out', 'out/restored.bin'])
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()))
    let sawTemporary = false
    let running = true
    void exited.then(() => { running = false })
    // every look at the target, until the restore is killed or ends, finds nothing or all of it
    while (running) {
      const names = existsSync(join(dir, 'out')) ? readdirSync(join(dir, 'out')) : []
      if (names.some((n) => n.includes('gas-tmp'))) { sawTemporary = true; child.kill('SIGKILL'); break }
      if (names.includes('restored.bin')) expect(statSync(join(dir, 'out', 'restored.bin')).size).toBe(content.length)
      await new Promise((resolve) => setTimeout(resolve, 2))
    }
    await exited
    const target = join(dir, 'out', 'restored.bin')
    // killed: nothing at the target (or, had the rename just won the race, all of it)
    if (!sawTemporary || existsSync(target)) expect(readFileSync(target).equals(content)).toBe(true)
  }, 120_000)
})
