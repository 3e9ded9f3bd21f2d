import { mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { realFs } from '../../src/objects/fs.js'
import { EntrySpool, mergeIntoIndex } from '../../src/repo/entry-spool.js'
import { IndexCursor } from '../../src/repo/index-cursor.js'
import { streamIndex } from '../../src/repo/index-stream.js'
import { readIndex, writeIndex, type IndexEntry } from '../../src/repo/staging-index.js'
import { OutputSpool } from '../../src/cli/output-spool.js'
import { useTmp } from '../helpers/tmp.js'

const tmp = useTmp()

const entry = (n: number): IndexEntry => ({ asset: String(n).padStart(64, '0'), meta: { file: 'f'.repeat(64), size: n, sha256: 'a'.repeat(64), kind: 'other', format: 'bin', tags: {}, previews: [] }, mtimeMs: n })

function gasDir (): string {
  const dir = join(tmp(), '.gas')
  mkdirSync(dir)
  return dir
}

describe('entry spool', () => {
  it('merges its entries into the index in path order, replacing same paths and dropping removed ones; then leaves no file', async () => {
    const dir = gasDir()
    await writeIndex(realFs, dir, { base: 'b'.repeat(64), entries: { 'a.bin': entry(1), 'c.bin': entry(3), 'e.bin': entry(5), 'g.bin': entry(7) } })
    const spool = await EntrySpool.create(realFs, dir)
    for (const [path, n] of [['b.bin', 20], ['c.bin', 30], ['h.bin', 80], ['i.bin', 90]] as const) await spool.append(path, entry(n))
    expect(spool.count).toBe(4)
    await expect(spool.append('a.bin', entry(0))).rejects.toThrow(RangeError)
    await mergeIntoIndex(realFs, dir, spool.lines(), new Set(['e.bin']))
    await spool.discard()
    const index = await readIndex(realFs, dir)
    expect(index.base).toBe('b'.repeat(64))
    expect(Object.fromEntries(Object.entries(index.entries).map(([p, e]) => [p, e.mtimeMs]))).toEqual({ 'a.bin': 1, 'b.bin': 20, 'c.bin': 30, 'g.bin': 7, 'h.bin': 80, 'i.bin': 90 })
    expect(readdirSync(dir)).toEqual(['index.json'])
  })

  it('refuses to merge into an index whose lines are out of order, leaving it as it was', async () => {
    const dir = gasDir()
    const lines = [`"b.bin":${JSON.stringify(entry(2))}`, `"a.bin":${JSON.stringify(entry(1))}`]
    const text = `{"base":null,"entries":{\n${lines.join(',\n')}\n}}\n`
    writeFileSync(join(dir, 'index.json'), text)
    const spool = await EntrySpool.create(realFs, dir)
    await spool.append('c.bin', entry(3))
    await expect(mergeIntoIndex(realFs, dir, spool.lines(), new Set())).rejects.toMatchObject({ code: 'E_CORRUPT_OBJECT' })
    await spool.discard()
    expect(readdirSync(dir)).toEqual(['index.json'])
  })

  it('an index cursor answers lookups in path order and refuses one that goes back', async () => {
    const dir = gasDir()
    await writeIndex(realFs, dir, { base: null, entries: { 'a.bin': entry(1), 'c.bin': entry(3) } })
    const cursor = new IndexCursor((await streamIndex(realFs, dir)).entries)
    const [a, b, c] = await Promise.all([cursor.at('a.bin'), cursor.at('b.bin'), cursor.at('c.bin')])
    expect([a?.mtimeMs, b, c?.mtimeMs]).toEqual([1, undefined, 3])
    await expect(cursor.at('a.bin')).rejects.toThrow(RangeError)
    expect(await cursor.at('d.bin')).toBeUndefined()
    await cursor.close()
  })
})

describe('output spool', () => {
  it('replays what was written byte for byte, a character split across its read blocks included', async () => {
    const spool = await OutputSpool.create()
    // 'é' is two bytes in UTF-8: an odd prefix puts one across the 256 KiB block boundary
    const text = `x${'é'.repeat(300_000)}\n${'ü dir/ß.txt\n'.repeat(1000)}`
    for (let i = 0; i < text.length; i += 70_001) await spool.write(text.slice(i, i + 70_001))
    let replayed = ''
    await spool.replay((piece) => { replayed += piece })
    await spool.discard()
    expect(replayed).toBe(text)
  })
})
