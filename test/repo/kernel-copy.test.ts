import { spawnSync } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { existsSync, readFileSync, readdirSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs'
import * as nodeFs from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { GasError } from '../../src/errors.js'
import type { ChunkRef, FileManifest } from '../../src/objects/file-manifest.js'
import { hashObject } from '../../src/objects/id.js'
import { NATIVE_COPY_ENV, nativeRangedCopy, type RangedCopy } from '../../src/objects/ranged-copy.js'
import { FileStore } from '../../src/pack/file-store.js'
import { RUN_READ_BYTES } from '../../src/pack/chunk-runs.js'
import { writeFileContent } from '../../src/repo/file-content-writer.js'
import { GAS_BIN } from '../helpers/cli.js'
import { useTmp } from '../helpers/tmp.js'
import { mountTmpfs } from '../helpers/tmpfs.js'

const tmp = useTmp()

/** Content cut into chunks of 1–200 KiB, every fourth compressible (stored zstd: written from user space), the rest random (stored raw: copied by the kernel). */
function contentInChunks (size: number): { content: Buffer, manifest: FileManifest, pieces: Buffer[] } {
  const content = randomBytes(size)
  const pieces: Buffer[] = []
  for (let at = 0, i = 0; at < size; i++) {
    const piece = content.subarray(at, at + Math.min(size - at, 1024 + (i * 7919 * 13) % (199 * 1024)))
    if (i % 4 === 0) piece.fill(i & 0xff)
    pieces.push(piece)
    at += piece.length
  }
  const chunks: ChunkRef[] = pieces.map((p) => ({ id: hashObject('chunk', p), length: p.length }))
  return { content, pieces, manifest: { size, sha256: createHash('sha256').update(content).digest('hex'), chunks } }
}

/** The native copy, counting the ranges and bytes it was asked to copy. */
function countingCopy (): RangedCopy & { ranges: number[][] } {
  const native = nativeRangedCopy()
  if (native === undefined) throw new Error('the native ranged copy is not built (npm ci builds native/)')
  const ranges: number[][] = []
  return {
    ranges,
    copyRanges: async (inFd, outFd, triples) => {
      for (let i = 0; i < triples.length; i += 3) ranges.push([triples[i], triples[i + 1], triples[i + 2]])
      return await native.copyRanges(inFd, outFd, triples)
    }
  }
}

/** A store holding `pieces`: the first half in a closed pack, the rest in the pack still open. */
async function storeOf (dir: string, pieces: Buffer[]): Promise<FileStore> {
  const store = await FileStore.open(join(dir, 'objects'))
  const half = Math.floor(pieces.length / 2)
  for (const p of pieces.slice(0, half)) await store.put('chunk', p)
  await store.close()
  for (const p of pieces.slice(half)) await store.put('chunk', p)
  return store
}

const temporaries = (dir: string): string[] => readdirSync(dir).filter((n) => n.includes('gas-tmp'))

describe('restore and checkout through the kernel copy (writeFileContent with the native ranged copy)', () => {
  it('writes the same bytes with the native copy as without it, the raw chunks of closed packs copied by the kernel', async () => {
    const dir = tmp()
    const { content, manifest, pieces } = contentInChunks(2 * RUN_READ_BYTES + 54321)
    const store = await storeOf(dir, pieces)
    const copy = countingCopy()
    await writeFileContent(nodeFs, store, manifest, join(dir, 'native.bin'), undefined, copy)
    await writeFileContent(nodeFs, store, manifest, join(dir, 'portable.bin'), undefined, null)
    expect(readFileSync(join(dir, 'native.bin')).equals(content)).toBe(true)
    expect(readFileSync(join(dir, 'portable.bin')).equals(content)).toBe(true)
    // the raw chunks of the closed pack went through the kernel; the open pack's and the compressed ones did not
    const half = Math.floor(pieces.length / 2)
    const rawClosed = pieces.slice(0, half).filter((_, i) => i % 4 !== 0)
    expect(copy.ranges.length).toBe(rawClosed.length)
    expect(copy.ranges.reduce((sum, r) => sum + r[2], 0)).toBe(rawClosed.reduce((sum, p) => sum + p.length, 0))
    // and a fresh process's view (every pack closed): every raw chunk copied
    await store.closeAll()
    const reopened = await FileStore.open(join(dir, 'objects'))
    const again = countingCopy()
    await writeFileContent(nodeFs, reopened, manifest, join(dir, 'again.bin'), undefined, again)
    expect(readFileSync(join(dir, 'again.bin')).equals(content)).toBe(true)
    expect(again.ranges.length).toBe(pieces.filter((_, i) => i % 4 !== 0).length)
    expect(temporaries(dir)).toEqual([])
    await reopened.closeAll()
  })

  it('a damaged raw entry is caught before it is copied: E_CORRUPT_OBJECT naming it, no file presented, no temporary left', async () => {
    const dir = tmp()
    const { manifest, pieces } = contentInChunks(RUN_READ_BYTES + 300_000)
    const store = await storeOf(dir, pieces)
    await store.closeAll()
    const packDir = join(dir, 'objects', 'pack')
    // random, stored raw, past the first write batch (so the batch before it was copied by then)
    const damaged = pieces.length - 2 - (pieces.length - 2) % 4 + 1
    for (const name of readdirSync(packDir).filter((n) => n.endsWith('.pack'))) {
      const bytes = readFileSync(join(packDir, name))
      const at = bytes.indexOf(pieces[damaged].subarray(0, 64))
      if (at < 0) continue
      const fd = openSync(join(packDir, name), 'r+')
      writeSync(fd, Buffer.from([bytes[at + 100] ^ 0x40]), 0, 1, at + 100)
      closeSync(fd)
    }
    const reopened = await FileStore.open(join(dir, 'objects'))
    const out = join(dir, 'asset.bin')
    writeFileSync(out, 'old content')
    const copy = countingCopy()
    const err = await writeFileContent(nodeFs, reopened, manifest, out, undefined, copy).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(GasError)
    expect((err as GasError).code).toBe('E_CORRUPT_OBJECT')
    expect((err as GasError).message).toContain(manifest.chunks[damaged].id)
    expect(readFileSync(out, 'utf8')).toBe('old content')
    expect(temporaries(dir)).toEqual([])
    // chunks before it were on the fast path; the damaged one never reached the kernel copy
    const damagedAt = pieces.slice(0, damaged).reduce((sum, p) => sum + p.length, 0)
    expect(copy.ranges.some((r) => r[1] < damagedAt)).toBe(true)
    expect(copy.ranges.some((r) => r[1] === damagedAt)).toBe(false)
    await reopened.closeAll()
  })

  it('a kernel or filesystem that refuses the copy (ENOSYS, EXDEV, …) gets the same bytes written from user space, asked once per file', async () => {
    const dir = tmp()
    const { content, manifest, pieces } = contentInChunks(2 * RUN_READ_BYTES + 999)
    const store = await storeOf(dir, pieces)
    await store.closeAll()
    const reopened = await FileStore.open(join(dir, 'objects'))
    for (const code of ['ENOSYS', 'EXDEV', 'EOPNOTSUPP', 'EINVAL']) {
      let calls = 0
      const refusing: RangedCopy = { copyRanges: async () => { calls++; throw Object.assign(new Error(code), { code }) } }
      await writeFileContent(nodeFs, reopened, manifest, join(dir, `${code}.bin`), undefined, refusing)
      expect(readFileSync(join(dir, `${code}.bin`)).equals(content)).toBe(true)
      expect(calls).toBe(1)
    }
    expect(temporaries(dir)).toEqual([])
    await reopened.closeAll()
  })

  it('a copy that fails for another reason is the user\'s to know (E_DISK_FULL, E_IO), and nothing is presented', async () => {
    const dir = tmp()
    const { manifest, pieces } = contentInChunks(RUN_READ_BYTES + 999)
    const store = await storeOf(dir, pieces)
    await store.closeAll()
    const reopened = await FileStore.open(join(dir, 'objects'))
    for (const [code, expected] of [['ENOSPC', 'E_DISK_FULL'], ['EIO', 'E_IO'], ['EOF', 'E_IO']]) {
      const failing: RangedCopy = { copyRanges: async () => { throw Object.assign(new Error(`${code}: failed`), { code }) } }
      const out = join(dir, `${code}.bin`)
      const err = await writeFileContent(nodeFs, reopened, manifest, out, undefined, failing).catch((e: unknown) => e)
      expect((err as GasError).code).toBe(expected)
      expect(existsSync(out)).toBe(false)
    }
    expect(temporaries(dir)).toEqual([])
    await reopened.closeAll()
  })

  it('a file written on another filesystem than the store (a real EXDEV, tmpfs) gets the same bytes', async (ctx) => {
    const dir = tmp()
    const other = mountTmpfs(dir)
    if (other === undefined) ctx.skip()
    try {
      const { content, manifest, pieces } = contentInChunks(RUN_READ_BYTES + 4321)
      const store = await storeOf(dir, pieces)
      await store.closeAll()
      const reopened = await FileStore.open(join(dir, 'objects'))
      const copy = countingCopy()
      await writeFileContent(nodeFs, reopened, manifest, join(other!.path, 'asset.bin'), undefined, copy)
      expect(readFileSync(join(other!.path, 'asset.bin')).equals(content)).toBe(true)
      expect(copy.ranges.length).toBeGreaterThan(0) // asked, refused with EXDEV, written from user space
      expect(temporaries(other!.path)).toEqual([])
      await reopened.closeAll()
    } finally {
      other!.unmount()
    }
  })

  it('`gas restore` writes the same file with the native copy and with GAS_NATIVE_COPY=0', () => {
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
})
