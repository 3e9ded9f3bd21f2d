import { spawnSync } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { closeSync, existsSync, openSync, readFileSync, readdirSync, truncateSync, writeFileSync, writeSync } from 'node:fs'
import * as nodeFs from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { GasError } from '../../src/errors.js'
import { decodeFileManifestLazily, encodeFileManifest, type ChunkRef, type FileManifest } from '../../src/objects/file-manifest.js'
import { hashObject } from '../../src/objects/id.js'
import { NATIVE_COPY_ENV, nativeAddon, type NativeRestore } from '../../src/objects/native-addon.js'
import { FileStore } from '../../src/pack/file-store.js'
import { writeFileContent } from '../../src/repo/file-content-writer.js'
import { WRITTEN, chunksOutsidePacks, locateInPacks, manifestEntries, restoreNatively } from '../../src/repo/native-restore.js'
import { GAS_BIN } from '../helpers/cli.js'
import { useTmp } from '../helpers/tmp.js'
import { mountTmpfs } from '../helpers/tmpfs.js'
import { residentBytes } from '../helpers/resident-bytes.js'
import { loadPageCacheCalls } from '../../src/objects/page-cache-native.js'

const tmp = useTmp()

function native (): NativeRestore {
  const addon = nativeAddon()
  if (addon === undefined) throw new Error('the native restore is not built (npm ci builds native/)')
  return addon
}

/**
 * Content in chunks of every size class the crc32 folds treat apart (entries of 42 + 1 … 300 000
 * bytes: under 64, under 256, and long), every fifth compressible (stored zstd), the rest random.
 */
function contentInChunks (size: number): { content: Buffer, manifest: FileManifest, pieces: Buffer[] } {
  const content = randomBytes(size)
  const pieces: Buffer[] = []
  const sizes = [1, 13, 21, 22, 23, 100, 213, 214, 215, 1000, 4096, 65_536, 200_001]
  for (let at = 0, i = 0; at < size; i++) {
    const piece = content.subarray(at, at + Math.min(size - at, sizes[i % sizes.length] + (i * 7919) % 97))
    if (i % 5 === 4 && piece.length > 2000) piece.fill(i & 0xff)
    pieces.push(piece)
    at += piece.length
  }
  const chunks: ChunkRef[] = pieces.map((p) => ({ id: hashObject('chunk', p), length: p.length }))
  return { content, pieces, manifest: { size, sha256: createHash('sha256').update(content).digest('hex'), chunks } }
}

async function closedStoreOf (dir: string, pieces: Buffer[]): Promise<FileStore> {
  const store = await FileStore.open(join(dir, 'objects'))
  for (const p of pieces) await store.put('chunk', p)
  await store.closeAll()
  return await FileStore.open(join(dir, 'objects'))
}

const temporaries = (dir: string): string[] => readdirSync(dir).filter((n) => n.includes('gas-tmp'))

/** Flips one byte inside `piece` where it rests in the store's packs. */
function damage (dir: string, piece: Buffer): void {
  const packDir = join(dir, 'objects', 'pack')
  for (const name of readdirSync(packDir).filter((n) => n.endsWith('.pack'))) {
    const bytes = readFileSync(join(packDir, name))
    const at = bytes.indexOf(piece.subarray(0, 64))
    if (at < 0) continue
    const fd = openSync(join(packDir, name), 'r+')
    writeSync(fd, Buffer.from([bytes[at + 50] ^ 0x10]), 0, 1, at + 50)
    closeSync(fd)
  }
}

describe('the native restore (native/restore-chunks.c through writeFileContent)', () => {
  it('is built by the package install step and loads, with a carry-less multiply crc32 on x86-64; GAS_NATIVE_COPY=0 turns it off', () => {
    const env = process.env[NATIVE_COPY_ENV]
    try {
      delete process.env[NATIVE_COPY_ENV]
      expect(nativeAddon()).toBeDefined()
      if (process.arch === 'x64') expect((nativeAddon() as unknown as { crc32Level: number }).crc32Level).toBeGreaterThan(0)
      process.env[NATIVE_COPY_ENV] = '0'
      expect(nativeAddon()).toBeUndefined()
    } finally {
      if (env === undefined) delete process.env[NATIVE_COPY_ENV]
      else process.env[NATIVE_COPY_ENV] = env
    }
  })

  it('writes a file on another filesystem than the store (tmpfs) byte for byte', async (ctx) => {
    const dir = tmp()
    const other = mountTmpfs(dir)
    if (other === undefined) ctx.skip()
    try {
      const { content, manifest, pieces } = contentInChunks(3 * 1024 * 1024)
      const store = await closedStoreOf(dir, pieces)
      await writeFileContent(nodeFs, store, manifest, join(other!.path, 'asset.bin'), undefined, native())
      expect(readFileSync(join(other!.path, 'asset.bin')).equals(content)).toBe(true)
      expect(temporaries(other!.path)).toEqual([])
      await store.closeAll()
    } finally {
      other!.unmount()
    }
  })

  it.runIf(process.platform === 'linux')('reads a pack the page cache does not hold with O_DIRECT: it stays out of the cache; one it holds is read from there; a store on tmpfs (no O_DIRECT) reads through the cache', async (ctx) => {
    const dir = tmp()
    // no compressible chunk: those are read by the portable path, through the page cache
    const content = randomBytes(12 * 1024 * 1024 + 777)
    const pieces: Buffer[] = []
    for (let at = 0, i = 0; at < content.length; i++) {
      pieces.push(content.subarray(at, at + 1000 + (i * 7919) % 200_000))
      at += pieces[i].length
    }
    const manifest: FileManifest = { size: content.length, sha256: createHash('sha256').update(content).digest('hex'), chunks: pieces.map((p) => ({ id: hashObject('chunk', p), length: p.length })) }
    const store = await closedStoreOf(dir, pieces)
    const packDir = join(dir, 'objects', 'pack')
    const [pack] = readdirSync(packDir).filter((n) => n.endsWith('.pack')).map((n) => join(packDir, n))
    const calls = loadPageCacheCalls()
    expect(calls).toBeDefined()
    const evict = async (): Promise<void> => {
      const handle = await nodeFs.open(pack, 'r')
      try { await calls!.dropCached(handle.fd, 0, 0) } finally { await handle.close() }
    }
    await evict()
    expect(residentBytes(pack)).toBe(0)
    await writeFileContent(nodeFs, store, manifest, join(dir, 'cold.bin'), undefined, native())
    expect(readFileSync(join(dir, 'cold.bin')).equals(content)).toBe(true)
    // read through the cache, 12 MiB would now be resident; the first span's miss starts the kernel's read-ahead, nothing more
    expect(residentBytes(pack)).toBeLessThan(content.length / 2)
    // cached: read from the cache (the same bytes, every entry checked as before)
    readFileSync(pack)
    await writeFileContent(nodeFs, store, manifest, join(dir, 'cached.bin'), undefined, native())
    expect(readFileSync(join(dir, 'cached.bin')).equals(content)).toBe(true)
    await store.closeAll()

    const other = mountTmpfs(dir)
    if (other === undefined) ctx.skip()
    try {
      const onTmpfs = await closedStoreOf(other!.path, pieces)
      await writeFileContent(nodeFs, onTmpfs, manifest, join(other!.path, 'asset.bin'), undefined, native())
      expect(readFileSync(join(other!.path, 'asset.bin')).equals(content)).toBe(true)
      await onTmpfs.closeAll()
    } finally {
      other!.unmount()
    }
  })

  it('`gas restore` writes the same file with the addon and with GAS_NATIVE_COPY=0', () => {
    const dir = tmp()
    const { content } = contentInChunks(6 * 1024 * 1024)
    writeFileSync(join(dir, 'asset.bin'), content)
    const gas = (args: string[], env: Record<string, string> = {}): void => {
      const r = spawnSync(process.execPath, [GAS_BIN, ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, ...env } })
      expect(r.stderr).toBe('')
      expect(r.status).toBe(0)
    }
    gas(['init', '--name', 'a'])
    gas(['add', 'asset.bin'])
    gas(['commit', '-m', 'one'])
    gas(['restore', 'asset.bin', '--version', 'main', '--out', 'native.bin'])
    gas(['restore', 'asset.bin', '--version', 'main', '--out', 'portable.bin'], { [NATIVE_COPY_ENV]: '0' })
    expect(readFileSync(join(dir, 'native.bin')).equals(content)).toBe(true)
    expect(readFileSync(join(dir, 'portable.bin')).equals(content)).toBe(true)
  }, 60_000)

  it('writes every raw chunk of the closed packs itself (its crc32 agrees with the index on every length), leaves the compressed ones, and the file is byte for byte', async () => {
    const dir = tmp()
    const { content, manifest, pieces } = contentInChunks(3 * 1024 * 1024 + 333)
    const store = await closedStoreOf(dir, pieces)
    const statuses: Uint8Array[] = []
    const addon = native()
    const watching: NativeRestore = { ...addon, restoreChunks: async (...args) => { statuses.push(args[3]); return await addon.restoreChunks(...args) } }
    await writeFileContent(nodeFs, store, manifest, join(dir, 'native.bin'), undefined, watching)
    expect(readFileSync(join(dir, 'native.bin')).equals(content)).toBe(true)
    const status = statuses[0]
    const compressed = pieces.map((p, i) => i % 5 === 4 && p.length > 2000)
    expect([...status].filter((s, i) => !compressed[i] && s !== WRITTEN)).toEqual([])
    expect([...status].filter((s, i) => compressed[i] && s === WRITTEN)).toEqual([])
    expect(temporaries(dir)).toEqual([])
    await store.closeAll()
  })

  it('splits a file into parts written two at a time, reports progress per part, and the file is whole', async () => {
    const dir = tmp()
    const { content, manifest, pieces } = contentInChunks(2 * 1024 * 1024)
    const store = await closedStoreOf(dir, pieces)
    const handle = await nodeFs.open(join(dir, 'parts.bin'), 'w')
    const progress: number[] = []
    const calls: number[] = []
    const addon = native()
    const { status, written } = await restoreNatively({ ...addon, restoreChunks: async (...args) => { calls.push(args[4]); return await addon.restoreChunks(...args) } }, store, manifest, handle, join(dir, 'parts.bin'), (bytes) => progress.push(bytes), 256 * 1024)
    await handle.close()
    expect(calls.length).toBeGreaterThan(4)
    expect(progress.at(-1)).toBe(written)
    expect(progress).toEqual([...progress].sort((a, b) => a - b))
    const got = readFileSync(join(dir, 'parts.bin'))
    let at = 0
    manifest.chunks.forEach((c, i) => {
      if (status[i] === WRITTEN) expect(got.subarray(at, at + c.length).equals(content.subarray(at, at + c.length))).toBe(true)
      at += c.length
    })
    await store.closeAll()
  })

  it('a file whose chunks are mostly compressed is left to the portable path after its first part (read once), with the same bytes', async () => {
    const dir = tmp()
    const pieces = Array.from({ length: 40 }, (_, i) => Buffer.alloc(100_000, i))
    const content = Buffer.concat(pieces)
    const manifest = { size: content.length, sha256: '', chunks: pieces.map((p) => ({ id: hashObject('chunk', p), length: p.length })) }
    const store = await closedStoreOf(dir, pieces)
    let calls = 0
    const addon = native()
    await writeFileContent(nodeFs, store, manifest, join(dir, 'zstd.bin'), undefined, { ...addon, restoreChunks: async (...args) => { calls++; return await addon.restoreChunks(...args) } })
    expect(readFileSync(join(dir, 'zstd.bin')).equals(content)).toBe(true)
    expect(calls).toBeLessThanOrEqual(2)
    await store.closeAll()
  })

  it('a damaged raw entry: E_CORRUPT_OBJECT naming the chunk, the old file kept, no temporary left, with the addon and without it', async () => {
    const dir = tmp()
    const { manifest, pieces } = contentInChunks(2 * 1024 * 1024)
    const store = await closedStoreOf(dir, pieces)
    const damaged = pieces.findIndex((p, i) => i > pieces.length / 2 && p.length > 60_000 && i % 5 !== 4)
    damage(dir, pieces[damaged])
    const out = join(dir, 'asset.bin')
    for (const copier of [native(), null]) {
      writeFileSync(out, 'old content')
      const err = await writeFileContent(nodeFs, store, manifest, out, undefined, copier).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(GasError)
      expect((err as GasError).code).toBe('E_CORRUPT_OBJECT')
      expect((err as GasError).message).toContain(manifest.chunks[damaged].id)
      expect(readFileSync(out, 'utf8')).toBe('old content')
      expect(temporaries(dir)).toEqual([])
    }
    await store.closeAll()
  })

  it('a pack cut short under its index: the chunks past its end are refused, not written from whatever is there', async () => {
    const dir = tmp()
    const { manifest, pieces } = contentInChunks(1024 * 1024)
    const store = await closedStoreOf(dir, pieces)
    await store.closeAll()
    const packDir = join(dir, 'objects', 'pack')
    const pack = readdirSync(packDir).find((n) => n.endsWith('.pack'))!
    const reopened = await FileStore.open(join(dir, 'objects'))
    truncateSync(join(packDir, pack), readFileSync(join(packDir, pack)).length - 1000)
    const err = await writeFileContent(nodeFs, reopened, manifest, join(dir, 'cut.bin'), undefined, native()).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(GasError)
    expect(['E_CORRUPT_PACK', 'E_CORRUPT_OBJECT']).toContain((err as GasError).code)
    expect(existsSync(join(dir, 'cut.bin'))).toBe(false)
    expect(temporaries(dir)).toEqual([])
    await reopened.closeAll()
  })

  it('a disk too small for the file fails at once with E_DISK_FULL, nothing presented, no temporary left', async (ctx) => {
    const dir = tmp()
    const small = mountTmpfs(dir)
    if (small === undefined) ctx.skip()
    try {
      const { manifest, pieces } = contentInChunks(1024 * 1024)
      const store = await closedStoreOf(dir, pieces)
      const big = { ...manifest, size: 100 * 1024 * 1024 * 1024 }
      let wrote = false
      const addon = native()
      const err = await writeFileContent(nodeFs, store, big, join(small!.path, 'big.bin'), undefined, { ...addon, restoreChunks: async (...args) => { wrote = true; return await addon.restoreChunks(...args) } }).catch((e: unknown) => e)
      expect((err as GasError).code).toBe('E_DISK_FULL')
      expect(wrote).toBe(false)
      expect(readdirSync(small!.path)).toEqual([])
      await store.closeAll()
    } finally {
      small!.unmount()
    }
  })

  it('a write that fails in the addon is the user\'s to know (E_DISK_FULL, E_IO), the sibling part stops, nothing presented', async () => {
    const dir = tmp()
    const { manifest, pieces } = contentInChunks(1024 * 1024)
    const store = await closedStoreOf(dir, pieces)
    for (const [code, expected] of [['ENOSPC', 'E_DISK_FULL'], ['EIO', 'E_IO']]) {
      const failing: NativeRestore = { ...native(), allocate: undefined, restoreChunks: async (...args) => { args[8][0] = 1; throw Object.assign(new Error(`${code}: failed`), { code }) } }
      const out = join(dir, `${code}.bin`)
      const err = await writeFileContent(nodeFs, store, manifest, out, undefined, failing).catch((e: unknown) => e)
      expect((err as GasError).code).toBe(expected)
      expect(existsSync(out)).toBe(false)
    }
    expect(temporaries(dir)).toEqual([])
    await store.closeAll()
  })

  it('a part stopped by its failed sibling rejects with ECANCELED at its next span', async () => {
    const dir = tmp()
    const { manifest, pieces } = contentInChunks(2 * 1024 * 1024)
    const store = await closedStoreOf(dir, pieces)
    const entries = manifestEntries(manifest)
    const locs = locateInPacks(store, entries, native().locateChunks)
    const handle = await nodeFs.open(join(dir, 'stopped.bin'), 'w')
    const stop = Int32Array.of(1)
    const err = await native().restoreChunks(handle.fd, entries, locs, new Uint8Array(manifest.chunks.length), 0, manifest.chunks.length, 0, 1024 * 1024, stop).catch((e: unknown) => e)
    await handle.close()
    expect((err as { code: string }).code).toBe('ECANCELED')
    await store.closeAll()
  })

  it('finds chunks in packs with the addon as without it, a pack with entries set aside searched without it; the chunks outside are listed for a look one by one', async () => {
    const dir = tmp()
    const { manifest, pieces } = contentInChunks(512 * 1024)
    const store = await closedStoreOf(dir, pieces.slice(0, -3))
    const entries = manifestEntries(manifest)
    const withAddon = locateInPacks(store, entries, native().locateChunks)
    const without = locateInPacks(store, entries)
    expect([...withAddon]).toEqual([...without])
    const stored = new Set(pieces.slice(0, -3).map((p) => hashObject('chunk', p)))
    manifest.chunks.forEach((c, i) => expect(withAddon[3 * i] >= 0).toBe(stored.has(c.id)))
    const outside = [...chunksOutsidePacks(store, decodeFileManifestLazily(encodeFileManifest(manifest)))]
    expect(outside.map((c) => c.id).sort()).toEqual(manifest.chunks.filter((_, i) => withAddon[3 * i] < 0).map((c) => c.id).sort())
    // an entry set aside (quarantine) is not found, with or without the addon
    const pack = store.packFiles()[0]
    const first = pack.locateId(entries.subarray(0, 32))!
    pack.setMask(new Set([first.offset]))
    expect(locateInPacks(store, entries, native().locateChunks)[0]).toBe(-1)
    await store.closeAll()
  })

  it('an empty file (no chunks) and an empty pack index are no special case: an empty file is written, nothing is placed', async () => {
    const dir = tmp()
    const store = await closedStoreOf(dir, [randomBytes(1000)])
    await writeFileContent(nodeFs, store, { size: 0, sha256: '', chunks: [] }, join(dir, 'empty.bin'), undefined, native())
    expect(readFileSync(join(dir, 'empty.bin')).length).toBe(0)
    expect(native().locateChunks!(Buffer.alloc(36), new Uint32Array(256), Buffer.alloc(0), Buffer.alloc(0), Buffer.alloc(0), 3, Float64Array.of(-1, -1, -1))).toBe(0)
    await store.closeAll()
  })

  it('refuses malformed arguments with a TypeError, before any pool work', () => {
    const addon = native()
    const entries = Buffer.alloc(36)
    const locs = Float64Array.of(-1, -1, -1)
    expect(() => addon.restoreChunks(1, entries, locs, new Uint8Array(1), 0, 2, 0, 1 << 20, new Int32Array(1))).toThrow(TypeError)
    expect(() => addon.restoreChunks(1, entries, locs, new Uint8Array(1), 0, 1, 0, 10, new Int32Array(1))).toThrow(TypeError)
    expect(() => addon.restoreChunks(1, entries, Float64Array.of(3.5, 0, 0), new Uint8Array(1), 0, 1, 0, 1 << 20, new Int32Array(1))).toThrow(TypeError)
    expect(() => addon.restoreChunks(1, entries, locs, new Uint8Array(1), 0, 1, 0, 1 << 20, new Int32Array(0))).toThrow(TypeError)
    expect(() => addon.locateChunks!(entries, new Uint32Array(255), Buffer.alloc(0), Buffer.alloc(0), Buffer.alloc(0), 3, locs)).toThrow(TypeError)
    const falling = new Uint32Array(256)
    falling[0] = 1
    expect(() => addon.locateChunks!(entries, falling, Buffer.alloc(0), Buffer.alloc(0), Buffer.alloc(0), 3, locs)).toThrow(TypeError)
    expect(() => addon.allocate!(-1, 10)).toThrow(TypeError)
  })

  it('`gas restore` of a file with a damaged chunk fails with E_CORRUPT_OBJECT with the addon and with GAS_NATIVE_COPY=0, and leaves no file', () => {
    const dir = tmp()
    const { content, pieces } = contentInChunks(3 * 1024 * 1024)
    writeFileSync(join(dir, 'asset.bin'), content)
    const gas = (args: string[], env: Record<string, string> = {}): { status: number | null, stderr: string } => spawnSync(process.execPath, [GAS_BIN, ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, ...env } })
    for (const args of [['init', '--name', 'a'], ['add', 'asset.bin'], ['commit', '-m', 'one']]) expect(gas(args).status).toBe(0)
    const r0 = gas(['restore', 'asset.bin', '--version', 'main', '--out', 'good.bin'])
    expect(r0.stderr).toBe('')
    expect(readFileSync(join(dir, 'good.bin')).equals(content)).toBe(true)
    // the chunker cut its own chunks: damage a stretch of random bytes in the middle of the pack
    const packDir = join(dir, '.gas', 'objects', 'pack')
    const pack = readdirSync(packDir).find((n) => n.endsWith('.pack'))!
    const bytes = readFileSync(join(packDir, pack))
    const at = bytes.indexOf(content.subarray(1_500_000, 1_500_064))
    expect(at).toBeGreaterThan(0)
    damage(join(dir, '.gas'), bytes.subarray(at, at + 64))
    for (const env of [{}, { [NATIVE_COPY_ENV]: '0' }]) {
      const r = gas(['restore', 'asset.bin', '--version', 'main', '--out', 'bad.bin'], env)
      expect(r.status).toBe(1)
      expect(r.stderr).toMatch(/^gas: E_CORRUPT_OBJECT: /)
      expect(existsSync(join(dir, 'bad.bin'))).toBe(false)
      expect(temporaries(dir)).toEqual([])
    }
    expect(pieces.length).toBeGreaterThan(0)
  }, 60_000)
})
