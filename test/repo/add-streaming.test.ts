import { readdirSync, readFileSync, readlinkSync, writeFileSync, mkdirSync, existsSync } from 'node:fs'
import * as nodeFs from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import * as gas from '../../src/index.js'
import { GasError } from '../../src/errors.js'
import type { FileSystem } from '../../src/objects/fs.js'
import { stagePaths, type AddedAsset } from '../../src/repo/add.js'
import { streamIndex } from '../../src/repo/index-stream.js'
import { useTmp } from '../helpers/tmp.js'

const tmp = useTmp()
const COUNT = 5000

/** `count` tiny files under p/, 500 a folder. */
function makeFiles (dir: string, count: number): void {
  for (let i = 0; i < count; i++) {
    const folder = join(dir, 'p', `d${Math.floor(i / 500)}`)
    if (i % 500 === 0) mkdirSync(folder, { recursive: true })
    writeFileSync(join(folder, `a${String(i).padStart(5, '0')}.bin`), `asset ${i}\n`)
  }
}

/** The real file system, counting whole-file reads of workspace files under p/ and failing the one named `failAt`. */
function countingFs (failAt?: string): { fs: FileSystem, reads: () => number } {
  let reads = 0
  const fs: FileSystem = {
    ...nodeFs,
    readFile: (async (path: Parameters<typeof nodeFs.readFile>[0], options?: Parameters<typeof nodeFs.readFile>[1]) => {
      if (typeof path === 'string' && path.includes('/p/d')) {
        reads++
        if (failAt !== undefined && path.endsWith(failAt)) throw Object.assign(new Error('injected read failure'), { code: 'EIO' })
      }
      return await nodeFs.readFile(path, options)
    }) as typeof nodeFs.readFile
  }
  return { fs, reads: () => reads }
}

const spoolsIn = (dir: string): string[] => readdirSync(join(dir, '.gas')).filter((name) => name.includes('add-spool'))
/** Spool files this process holds open, named or not (Linux: /proc/self/fd shows an unlinked file as "(deleted)"). */
const openSpools = (): string[] => process.platform !== 'linux' ? [] : readdirSync('/proc/self/fd').map((fd) => { try { return readlinkSync(join('/proc/self/fd', fd)) } catch { return '' } }).filter((target) => target.includes('add-spool'))

async function indexPaths (ws: gas.Workspace): Promise<string[]> {
  const paths: string[] = []
  for await (const [path] of (await streamIndex(ws.fs, ws.gasDir)).entries) paths.push(path)
  return paths
}

describe('gas add of many files holds no state per file until its end', () => {
  it('reports results while it still reads files, keeps the new entries in a spool on disk, and leaves the whole index after', async () => {
    const dir = tmp()
    await (await gas.init({ dir, name: 'ana' })).close()
    makeFiles(dir, COUNT)
    const counting = countingFs()
    const ws = await gas.open({ dir, fs: counting.fs, previewer: async () => [] })
    const results: AddedAsset[] = []
    let readsAtFirstResult = -1
    let spoolsAtFirstResult: string[] = []
    let indexAtFirstResult = true
    await stagePaths(ws, {
      paths: ['p'],
      cwd: dir,
      onResult: (r) => {
        if (results.length === 0) {
          readsAtFirstResult = counting.reads()
          spoolsAtFirstResult = openSpools()
          indexAtFirstResult = existsSync(join(dir, '.gas', 'index.json'))
        }
        results.push(r)
      }
    })
    // the first results came while most files were still to be read: nothing waited for the end
    expect(readsAtFirstResult).toBeGreaterThan(0)
    expect(readsAtFirstResult).toBeLessThan(COUNT / 2)
    // their index entries were in a spool file of .gas, open and already without a name (nothing
    // is left behind if the add is killed); the index is written only at the end
    if (process.platform === 'linux') {
      expect(spoolsAtFirstResult).toHaveLength(1)
      expect(spoolsAtFirstResult[0]).toContain(join(dir, '.gas'))
      expect(spoolsAtFirstResult[0]).toContain('(deleted)')
    }
    expect(spoolsIn(dir)).toEqual([])
    expect(indexAtFirstResult).toBe(false)
    expect(counting.reads()).toBe(COUNT)
    expect(results.map((r) => r.path)).toEqual([...results.map((r) => r.path)].sort())
    expect(results).toHaveLength(COUNT)
    expect(results.every((r) => /^[0-9a-f]{64}$/.test(r.asset) && !r.unchanged)).toBe(true)
    const paths = await indexPaths(ws)
    expect(paths).toEqual(results.map((r) => r.path))
    expect(spoolsIn(dir)).toEqual([])
    expect(openSpools()).toEqual([])
    await ws.close()
  })

  it('a read failing midway leaves the index as it was, no spool, and a healthy store', async () => {
    const dir = tmp()
    const first = await gas.init({ dir, name: 'ana', previewer: async () => [] })
    makeFiles(dir, COUNT)
    // a part staged before: the failing add must leave exactly this index
    await gas.add(first, { paths: ['p/d0'], cwd: dir })
    await first.close()
    const before = readFileSync(join(dir, '.gas', 'index.json'))
    const counting = countingFs('a03000.bin')
    const ws = await gas.open({ dir, fs: counting.fs, previewer: async () => [] })
    const reported: string[] = []
    const failure = await stagePaths(ws, { paths: ['p'], cwd: dir, onResult: (r) => { reported.push(r.path) } }).catch((err: unknown) => err)
    expect(failure).toBeInstanceOf(GasError)
    expect((failure as GasError).code).toBe('E_IO')
    expect((failure as GasError).message).toContain('p/d6/a03000.bin')
    // results came before the failure (the caller prints them only on success), the index did not change
    expect(reported.length).toBeGreaterThan(0)
    expect(readFileSync(join(dir, '.gas', 'index.json')).equals(before)).toBe(true)
    expect(spoolsIn(dir)).toEqual([])
    await ws.close()
    const again = await gas.open({ dir })
    const report = await gas.fsck(again)
    expect(report.problems).toEqual([])
    await again.close()
  })

  it('merges into an index with paths before and after its own, drops removed files, and reuses unchanged entries without reading them', async () => {
    const dir = tmp()
    const ws = await gas.init({ dir, name: 'ana', previewer: async () => [] })
    makeFiles(dir, 1200)
    writeFileSync(join(dir, 'zz.txt'), 'after every p/ path\n')
    writeFileSync(join(dir, 'a.txt'), 'before every p/ path\n')
    await gas.add(ws, { paths: ['p'], cwd: dir })
    await gas.add(ws, { paths: ['a.txt', 'zz.txt'], cwd: dir })
    await nodeFs.rm(join(dir, 'p', 'd1', 'a00600.bin'))
    writeFileSync(join(dir, 'p', 'd2', 'a01000.bin'), 'changed\n')
    await ws.close()
    const counting = countingFs()
    const again = await gas.open({ dir, fs: counting.fs, previewer: async () => [] })
    const results = await gas.add(again, { paths: ['p'], cwd: dir })
    // only the changed file is read again (mtimes of the others match their entries)
    expect(counting.reads()).toBe(1)
    expect(results.filter((r) => r.removed === true).map((r) => r.path)).toEqual(['p/d1/a00600.bin'])
    expect(results.filter((r) => !r.unchanged && r.removed !== true).map((r) => r.path)).toEqual(['p/d2/a01000.bin'])
    const paths = await indexPaths(again)
    expect(paths).toHaveLength(1200 + 2 - 1)
    expect(paths[0]).toBe('a.txt')
    expect(paths[paths.length - 1]).toBe('zz.txt')
    expect(paths).not.toContain('p/d1/a00600.bin')
    expect(existsSync(join(dir, '.gas', 'index.json'))).toBe(true)
    await again.close()
  })
})
