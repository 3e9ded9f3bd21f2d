import { spawn } from 'node:child_process'
import { constants } from 'node:fs'
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { FileHandle } from 'node:fs/promises'
import type { FileManifest } from '../../src/objects/file-manifest.js'
import type { FileSystem } from '../../src/objects/fs.js'
import { realFs } from '../../src/objects/fs.js'
import { MemoryStore } from '../../src/objects/memory-store.js'
import { syncRepo } from '../../src/peer/sync/sync-engine.js'
import { serveRepo } from '../../src/peer/sync/serve-repo.js'
import { MemoryTransport } from '../../src/peer/transport/memory-transport.js'
import { ArrivingFiles } from '../../src/repo/arriving-files.js'
import { AheadBudget, FileAssembler } from '../../src/repo/file-assembler.js'
import { listedManifest } from '../../src/objects/chunk-list.js'
import { residentBytes } from '../helpers/resident-bytes.js'
import { useTmp } from '../helpers/tmp.js'
import { buildVersion, MiB, pseudoRandomBytes, setRef, tempRefs, type WrittenAsset } from '../net/helpers.js'

const tmp = useTmp()

const manifestOf = (a: WrittenAsset): FileManifest => ({ size: a.size, sha256: a.sha256, chunks: a.chunks })

/** The real file system, except that the byte at file offset `at` is flipped on its way into any file written with writev. */
function damagingFs (at: number): FileSystem {
  const open = async (...args: Parameters<FileSystem['open']>): Promise<FileHandle> => {
    const handle = await realFs.open(...args)
    const writev = handle.writev.bind(handle)
    handle.writev = async (buffers: NodeJS.ArrayBufferView[], position?: number | null) => {
      let start = position ?? 0
      const copies = buffers.map((b) => {
        const bytes = Buffer.from(new Uint8Array(b.buffer, b.byteOffset, b.byteLength))
        if (at >= start && at < start + bytes.length) bytes[at - start] ^= 0xff
        start += bytes.length
        return bytes
      })
      return await writev(copies, position)
    }
    return handle
  }
  return { ...realFs, open: open as FileSystem['open'] }
}

/** A seed store holding one version with `files`, served over a memory transport; a sync of it with `arriving` into an empty store. */
async function syncWith (files: Array<{ path: string, bytes: Buffer }>, arriving: ArrivingFiles, store = new MemoryStore()): Promise<{ store: MemoryStore, assets: Map<string, WrittenAsset> }> {
  const seed = new MemoryStore()
  const seedRefs = await tempRefs('seed')
  const mine = await tempRefs('me')
  try {
    const v = await buildVersion(seed, files)
    await setRef(seedRefs.refs, 'refs/heads/main', v.version)
    const [near, far] = MemoryTransport.pair({ b: 'seed' })
    void serveRepo({ store: seed, refs: seedRefs.refs, transport: far, peerName: 'seed' })
    const result = await syncRepo({ store, refs: mine.refs, transports: [near], lingerIdleMs: 0, arriving })
    expect(result.missing).toEqual([])
    return { store, assets: v.assets }
  } finally {
    await seedRefs.cleanup()
    await mine.cleanup()
  }
}

describe('files written while their chunks arrive', () => {
  it('writes a large file during the fetch, verified, and the checkout moves it into place; small files are left to the checkout', async () => {
    const dir = tmp()
    const tmpDir = join(dir, '.gas', 'tmp')
    // a file a killed sync left (no process has that pid): removed when the next sync starts writing
    await realFs.mkdir(tmpDir, { recursive: true })
    await writeFile(join(tmpDir, 'arriving-999999999-abc'), 'left over')
    const big = pseudoRandomBytes('big', 12 * MiB)
    const arriving = new ArrivingFiles(realFs, tmpDir)
    const { assets } = await syncWith([{ path: 'big.bin', bytes: big }, { path: 'small.bin', bytes: pseudoRandomBytes('small', 100_000) }], arriving)
    expect(await readdir(tmpDir)).toHaveLength(1)
    expect(await arriving.take(manifestOf(assets.get('small.bin')!), join(dir, 'small.bin'))).toBe(false)
    // where the file cannot go (a file stands where its folder would): refused, and the usual way reports why
    await writeFile(join(dir, 'blocked'), '')
    const twin = await syncWith([{ path: 'big.bin', bytes: big }], new ArrivingFiles(realFs, join(dir, 'twin')))
    const twinArriving = new ArrivingFiles(realFs, join(dir, 'twin2'))
    await syncWith([{ path: 'big.bin', bytes: big }], twinArriving)
    expect(await twinArriving.take(manifestOf(twin.assets.get('big.bin')!), join(dir, 'blocked', 'big.bin'))).toBe(false)
    expect(await readdir(join(dir, 'twin2'))).toEqual([])
    const out = join(dir, 'art', 'big.bin')
    expect(await arriving.take(manifestOf(assets.get('big.bin')!), out)).toBe(true)
    expect((await readFile(out)).equals(big)).toBe(true)
    // taken once: a second path with the same content is written the usual way
    expect(await arriving.take(manifestOf(assets.get('big.bin')!), join(dir, 'copy.bin'))).toBe(false)
    await arriving.discard()
    expect(await readdir(tmpDir)).toEqual([])
  }, 60_000)

  it('with a look-ahead, every large file is written while it arrives, four at most open at once; without it the first four; within it only those it reaches', async () => {
    const files = Array.from({ length: 6 }, (_, i) => ({ path: `data${i}.pak`, bytes: pseudoRandomBytes(`all-${i}`, 9 * MiB + i) }))
    for (const lookAhead of [Infinity, 0, 1]) {
      const dir = tmp()
      let open = 0
      let most = 0
      const countingFs: FileSystem = {
        ...realFs,
        open: (async (...args: Parameters<FileSystem['open']>) => {
          const handle = await realFs.open(...args)
          if (!String(args[0]).includes('arriving-') || args[1] === 'r') return handle
          most = Math.max(most, ++open)
          const close = handle.close.bind(handle)
          handle.close = async () => { open--; await close() }
          return handle
        }) as FileSystem['open']
      }
      const arriving = new ArrivingFiles(countingFs, join(dir, 'tmp'), { lookAhead })
      const { assets } = await syncWith(files, arriving)
      const taken: string[] = []
      for (const f of files) if (await arriving.take(manifestOf(assets.get(f.path)!), join(dir, f.path))) taken.push(f.path)
      // one more want looked at takes up the fifth file only
      expect(taken).toEqual(files.slice(0, lookAhead === Infinity ? 6 : 4 + lookAhead).map((f) => f.path))
      for (const path of taken) expect((await readFile(join(dir, path))).equals(files.find((f) => f.path === path)!.bytes)).toBe(true)
      expect(most).toBeLessThanOrEqual(4)
      await arriving.discard()
      expect(await readdir(join(dir, 'tmp'))).toEqual([])
    }
  }, 60_000)

  it.runIf(process.platform === 'linux')('a large file goes to disk with O_DIRECT (or, where refused, leaves the page cache as it is written) and arrives whole', async () => {
    const O_DIRECT = constants.O_DIRECT
    const opened: Array<string | number | undefined> = []
    /** realFs recording how the arriving file is opened; `refuse`: O_DIRECT fails with EINVAL, as on tmpfs */
    const recordingFs = (refuse: boolean): FileSystem => ({
      ...realFs,
      open: (async (path: string, flags?: string | number) => {
        if (path.includes('arriving-')) opened.push(flags)
        if (refuse && typeof flags === 'number' && (flags & O_DIRECT) !== 0) throw Object.assign(new Error('EINVAL'), { code: 'EINVAL' })
        return await realFs.open(path, flags)
      }) as FileSystem['open']
    })
    for (const refuse of [false, true]) {
      const dir = tmp()
      opened.length = 0
      // 40 MiB and a few bytes: the last write is not whole blocks
      const big = pseudoRandomBytes(`paged-${refuse}`, 40 * MiB + 1234)
      const arriving = new ArrivingFiles(recordingFs(refuse), join(dir, 'tmp'))
      const { assets } = await syncWith([{ path: 'big.bin', bytes: big }], arriving)
      const out = join(dir, 'big.bin')
      expect(await arriving.take(manifestOf(assets.get('big.bin')!), out)).toBe(true)
      expect(typeof opened[0] === 'number' && (opened[0] & O_DIRECT) !== 0).toBe(true)
      // refused: written through the page cache, and all but the last two 8 MiB windows (and the sample read back) dropped
      expect(opened).toEqual(refuse ? [opened[0], 'w+'] : [opened[0], 'r'])
      expect(residentBytes(out)).toBeLessThan(refuse ? 24 * MiB : 4 * MiB)
      expect((await readFile(out)).equals(big)).toBe(true)
    }
  }, 60_000)

  it('removes what nobody took, and keeps nothing whose content does not match its manifest', async () => {
    const dir = tmp()
    const tmpDir = join(dir, 'tmp')
    const arriving = new ArrivingFiles(realFs, tmpDir)
    await syncWith([{ path: 'a.bin', bytes: pseudoRandomBytes('a', 9 * MiB) }], arriving)
    expect(await readdir(tmpDir)).toHaveLength(1)
    await arriving.discard()
    expect(await readdir(tmpDir)).toEqual([])

    // bytes damaged on their way to the file (a batch reused too early, a wrong offset): caught by
    // the chunks read back, the file dropped and never offered to a checkout
    const store = new MemoryStore()
    const { assets } = await syncWith([{ path: 'b.bin', bytes: pseudoRandomBytes('b', 9 * MiB) }], new ArrivingFiles(realFs, join(dir, 'unused')), store)
    const manifest = manifestOf(assets.get('b.bin')!)
    const last = manifest.size - 1
    for (const damagedAt of [0, last]) {
      const assembler = new FileAssembler(damagingFs(damagedAt), listedManifest(manifest), join(tmpDir, `damaged-${damagedAt}`), new AheadBudget(MiB))
      for (const chunk of manifest.chunks) assembler.offer(chunk.id, { type: 'chunk', encoding: 0, rawLength: chunk.length, bytes: (await store.get(chunk.id)).body })
      expect(assembler.cursor).toBe(manifest.chunks.length)
      expect(await assembler.finish(store)).toBe(false)
      expect(await readdir(tmpDir)).toEqual([])
    }
    // the same chunks undamaged: the file is prepared, byte for byte the content
    const good = new FileAssembler(realFs, listedManifest(manifest), join(tmpDir, 'good'), new AheadBudget(MiB))
    for (const chunk of manifest.chunks) good.offer(chunk.id, { type: 'chunk', encoding: 0, rawLength: chunk.length, bytes: (await store.get(chunk.id)).body })
    expect(await good.finish(store)).toBe(true)
    expect((await readFile(join(tmpDir, 'good'))).equals(pseudoRandomBytes('b', 9 * MiB))).toBe(true)
  }, 60_000)

  it('writes chunks that arrive out of order, holds few ahead, and finishes the rest from the store', async () => {
    const dir = tmp()
    const store = new MemoryStore()
    const { assets } = await syncWith([{ path: 'c.bin', bytes: pseudoRandomBytes('c', 10 * MiB) }], new ArrivingFiles(realFs, join(dir, 'unused')), store)
    const manifest = manifestOf(assets.get('c.bin')!)
    const chunkOf = async (i: number): Promise<{ type: 'chunk', encoding: 0, rawLength: number, bytes: Uint8Array }> => ({ type: 'chunk', encoding: 0, rawLength: manifest.chunks[i].length, bytes: (await store.get(manifest.chunks[i].id)).body })
    const budget = new AheadBudget(manifest.chunks[1].length + manifest.chunks[2].length)
    const assembler = new FileAssembler(realFs, listedManifest(manifest), join(dir, 'c.part'), budget)
    // 2 and 1 arrive first: held (within the budget); 3 would exceed it: dropped, read back at the end
    for (const i of [2, 1, 3]) assembler.offer(manifest.chunks[i].id, await chunkOf(i))
    expect(assembler.cursor).toBe(0)
    expect(budget.used).toBe(manifest.chunks[1].length + manifest.chunks[2].length)
    assembler.offer(manifest.chunks[0].id, await chunkOf(0))
    expect(assembler.cursor).toBe(3)
    expect(budget.used).toBe(0)
    // a chunk that does not belong to the file changes nothing
    assembler.offer('f'.repeat(64), await chunkOf(5))
    expect(assembler.started).toBe(false)
    expect(await assembler.finish(store)).toBe(true)
    expect(assembler.started).toBe(true)
    const want = Buffer.concat(await Promise.all(manifest.chunks.map(async (c) => (await store.get(c.id)).body)))
    expect((await readFile(join(dir, 'c.part'))).equals(want)).toBe(true)

    // a chunk whose length is not the manifest's: the file is given up
    const bad = new FileAssembler(realFs, listedManifest(manifest), join(dir, 'bad.part'), new AheadBudget(MiB))
    bad.offer(manifest.chunks[0].id, { type: 'chunk', encoding: 0, rawLength: 3, bytes: Uint8Array.of(1, 2, 3) })
    expect(await bad.finish(store)).toBe(false)
    expect((await readdir(dir)).sort()).toEqual(['c.part', 'unused'])

    // a write that fails (its folder is gone): given up, nothing claimed
    const lost = new FileAssembler(realFs, listedManifest(manifest), join(dir, 'gone', 'lost.part'), new AheadBudget(MiB))
    for (let i = 0; i < manifest.chunks.length; i++) lost.offer(manifest.chunks[i].id, await chunkOf(i))
    expect(await lost.finish(store)).toBe(false)
    expect((await readdir(dir)).sort()).toEqual(['c.part', 'unused'])
  }, 60_000)

  it('writes a chunk the file repeats at each of its places, from one offer', async () => {
    const dir = tmp()
    const store = new MemoryStore()
    const { assets } = await syncWith([{ path: 'r.bin', bytes: pseudoRandomBytes('r', MiB) }], new ArrivingFiles(realFs, join(dir, 'unused')), store)
    const base = manifestOf(assets.get('r.bin')!)
    // the file's chunks, then its first chunk again twice: the first chunk belongs at three places
    const [first] = base.chunks
    const chunks = [...base.chunks, first, first]
    const bodies = await Promise.all(chunks.map(async (c) => (await store.get(c.id)).body))
    const whole = Buffer.concat(bodies)
    const { createHash } = await import('node:crypto')
    const manifest: FileManifest = { size: whole.length, sha256: createHash('sha256').update(whole).digest('hex'), chunks }
    const assembler = new FileAssembler(realFs, listedManifest(manifest), join(dir, 'r.part'), new AheadBudget(MiB))
    expect(assembler.wants(first.id)).toBe(true)
    expect(assembler.wants('e'.repeat(64))).toBe(false)
    for (let i = 1; i < base.chunks.length; i++) assembler.offer(chunks[i].id, { type: 'chunk', encoding: 0, rawLength: chunks[i].length, bytes: bodies[i] })
    // the repeated chunk, offered once, fills the first place and, once those held ahead are written, the last two
    assembler.offer(first.id, { type: 'chunk', encoding: 0, rawLength: first.length, bytes: bodies[0] })
    expect(assembler.cursor).toBe(chunks.length)
    expect(await assembler.finish(store)).toBe(true)
    expect((await readFile(join(dir, 'r.part'))).equals(whole)).toBe(true)
  }, 60_000)
})

describe('gas sync writes a large file while it arrives', () => {
  it('leaves the verified file in place and nothing in .gas/tmp', async () => {
    const { cliTeam, startServe, stopGas } = await import('../helpers/cli-team.js')
    const { startTracker } = await import('../../src/index.js')
    const gasBin = join(import.meta.dirname, '..', '..', 'bin', 'gas')
    const tracker = await startTracker({ port: 0, host: '127.0.0.1' })
    const root = tmp()
    let serve: Awaited<ReturnType<typeof startServe>> | undefined
    try {
      const dirs = await cliTeam(root, ['a', 'b'], [() => [process.execPath, gasBin], () => [process.execPath, gasBin]], [tracker.url])
      const bytes = pseudoRandomBytes('cli', 10 * MiB)
      await writeFile(join(dirs[0], 'level.pak'), bytes)
      const gas = async (cwd: string, args: string[]): Promise<string> => await new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [gasBin, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] })
        let out = ''
        let err = ''
        child.stdout.on('data', (d: Buffer) => { out += d.toString() })
        child.stderr.on('data', (d: Buffer) => { err += d.toString() })
        child.on('close', (code) => code === 0 ? resolve(out) : reject(new Error(`gas ${args.join(' ')}: ${code} ${err}`)))
      })
      await gas(dirs[0], ['add', 'level.pak'])
      await gas(dirs[0], ['commit', '-m', 'level'])
      serve = await startServe(() => [process.execPath, gasBin], dirs[0])
      const result = JSON.parse(await gas(dirs[1], ['sync', '--once', '--json'])) as { checkout: { written: string[] } }
      expect(result.checkout.written).toEqual(['level.pak'])
      expect((await readFile(join(dirs[1], 'level.pak'))).equals(bytes)).toBe(true)
      expect(await readdir(join(dirs[1], '.gas', 'tmp'))).toEqual([])
      expect(await gas(dirs[1], ['status'])).not.toContain('level.pak')
    } finally {
      if (serve !== undefined) await stopGas(serve)
      await tracker.close()
    }
  }, 120_000)
})
