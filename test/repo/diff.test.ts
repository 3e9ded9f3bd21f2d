import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { makePng } from '../fixtures/textures.js'
import { gasInProcess as gas } from '../helpers/cli.js'
import { useTmp } from '../helpers/tmp.js'

const tmp = useTmp()
const json = (r: { stdout: string }): any => JSON.parse(r.stdout)

describe('gas diff', () => {
  it('shows per asset: sizes, kind, tags, preview facts and the bytes of new chunks', async () => {
    const dir = tmp()
    expect((await gas(dir, ['init', '--name', 'ana'])).status).toBe(0)
    writeFileSync(join(dir, 'rock.png'), await makePng({ width: 32, height: 16 }))
    const level = randomBytes(600_000)
    writeFileSync(join(dir, 'level.bin'), level)
    writeFileSync(join(dir, 'old.txt'), 'goes away')
    expect((await gas(dir, ['add', '.', '--tag', 'owner=ana'])).status).toBe(0)
    expect((await gas(dir, ['commit', '-m', 'one'])).status).toBe(0)
    expect(json(await gas(dir, ['diff', '--json'])).assets).toEqual([])
    expect((await gas(dir, ['diff'])).stdout).toBe('no differences\n')

    writeFileSync(join(dir, 'rock.png'), await makePng({ width: 64, height: 16 }))
    // an edit not added is not in the comparison, and is named so (it said "no differences" alone)
    expect((await gas(dir, ['diff'])).stdout).toBe('no differences\nnot staged, so not in this comparison (gas add PATH, then gas diff): modified rock.png\n')
    expect(json(await gas(dir, ['diff', 'level.bin', '--json'])).notStaged).toEqual({ modified: [], deleted: [] })
    expect(json(await gas(dir, ['diff', '--version', 'HEAD', '--json'])).notStaged).toEqual({ modified: ['rock.png'], deleted: [] })
    // 100 bytes inserted in the middle: content-defined chunks around them change, the rest are shared
    writeFileSync(join(dir, 'level.bin'), Buffer.concat([level.subarray(0, 300_000), randomBytes(100), level.subarray(300_000)]))
    expect((await gas(dir, ['add', 'rock.png', 'level.bin', '--tag', 'owner=bo'])).status).toBe(0)
    expect((await gas(dir, ['rm', 'old.txt'])).status).toBe(0)
    const staged = json(await gas(dir, ['diff', '--json']))
    expect(staged.from.name).toBe('HEAD')
    expect(staged.to).toEqual({ name: 'index', version: null })
    const byPath = Object.fromEntries(staged.assets.map((a: any) => [a.path, a]))
    expect(Object.keys(byPath).sort()).toEqual(['level.bin', 'old.txt', 'rock.png'])
    expect(byPath['rock.png']).toMatchObject({ change: 'modified', kind: { old: 'texture', new: 'texture' }, tags: { owner: { old: 'ana', new: 'bo' } }, preview: { width: { old: 32, new: 64 } } })
    expect(byPath['rock.png'].preview.height).toBeUndefined()
    const chunks = byPath['level.bin'].chunks
    expect(byPath['level.bin'].size).toEqual({ old: 600_000, new: 600_100 })
    expect(chunks.new).toBeGreaterThan(0)
    expect(chunks.new).toBeLessThan(chunks.total)
    expect(chunks.newBytes).toBeLessThan(400_000)
    expect(byPath['old.txt']).toMatchObject({ change: 'deleted', size: { old: 9, new: null } })

    expect((await gas(dir, ['commit', '-m', 'two'])).status).toBe(0)
    const range = json(await gas(dir, ['diff', 'rock.png', '--version', 'HEAD~1..HEAD', '--json']))
    expect(range.assets.map((a: any) => a.path)).toEqual(['rock.png'])
    expect(range.from.version).toMatch(/^[0-9a-f]{64}$/)
    // one side only: that version against what is staged
    expect(json(await gas(dir, ['diff', '--version', 'HEAD~1', '--json'])).assets).toHaveLength(3)
    const text = (await gas(dir, ['diff', '--version', 'HEAD~1..HEAD'])).stdout
    expect(text).toContain('modified rock.png (texture')
    expect(text).toContain('  width: 32 -> 64')
    expect(text).toContain('  tag owner: ana -> bo')
    expect(text).toMatch(/\d+ of \d+ chunks new/)
    expect(readFileSync(join(dir, 'level.bin')).length).toBe(600_100)
  })

  it('refuses an unknown path, a bad range and an unknown version', async () => {
    const dir = tmp()
    expect((await gas(dir, ['init', '--name', 'ana'])).status).toBe(0)
    writeFileSync(join(dir, 'a.png'), 'a')
    expect((await gas(dir, ['add', 'a.png'])).status).toBe(0)
    expect(json(await gas(dir, ['diff', '--json'])).assets).toMatchObject([{ path: 'a.png', change: 'added', chunks: { total: 1, new: 1, newBytes: 1 } }])
    expect((await gas(dir, ['commit', '-m', 'one'])).status).toBe(0)
    const unknown = await gas(dir, ['diff', 'nope.png'])
    expect(unknown.status).toBe(1)
    expect(unknown.stderr).toContain('E_NOT_FOUND')
    // again from status's lean cache (written by the diff above; index.json is not read): the same answers
    expect(existsSync(join(dir, '.gas', 'status-cache'))).toBe(true)
    expect((await gas(dir, ['diff', 'nope.png'])).stderr).toContain('E_NOT_FOUND')
    expect(json(await gas(dir, ['diff', 'a.png', '--json'])).assets).toEqual([])
    // a changed index is a new file: the cache no longer speaks for it
    writeFileSync(join(dir, 'b.png'), 'b')
    expect((await gas(dir, ['add', 'b.png'])).status).toBe(0)
    expect(json(await gas(dir, ['diff', '--json'])).assets).toMatchObject([{ path: 'b.png', change: 'added' }])
    const bad = await gas(dir, ['diff', '--version', '..HEAD'])
    expect(bad.status).toBe(2)
    expect(bad.stderr).toContain('E_BAD_ARGUMENT')
    expect((await gas(dir, ['diff', '--version', 'nosuch..HEAD'])).status).toBe(1)
  })
})
