import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { realFs } from '../../src/objects/fs.js'
import { findIndexEntry, pathOfLine, streamIndex } from '../../src/repo/index-stream.js'
import { readIndex, writeIndex, type IndexEntry, type StagingIndex } from '../../src/repo/staging-index.js'
import { useTmp } from '../helpers/tmp.js'

const tmp = useTmp()
const hex = (c: string): string => c.repeat(64)
const entry = (c: string, size: number): IndexEntry => ({ asset: hex(c), meta: { file: hex('f'), size, sha256: hex('e'), kind: 'other', format: 'bin', tags: { note: 'line\nbreak "quoted"' }, previews: [] }, mtimeMs: 1.5 })

async function collect<T> (items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const item of items) out.push(item)
  return out
}

describe('the staging index, a line per entry', () => {
  const index: StagingIndex = { base: hex('a'), entries: { 'z/last.bin': entry('1', 3), 'a "q"\\x.bin': entry('2', 5), '.gasrules': entry('3', 7) } }

  it('is still one JSON document, and streams back sorted by path with its base', async () => {
    const dir = tmp()
    await writeIndex(realFs, dir, index)
    const text = readFileSync(join(dir, 'index.json'), 'utf8')
    expect(text.split('\n')).toHaveLength(index.entries === undefined ? 0 : 3 + 3)
    expect(await readIndex(realFs, dir)).toEqual(index)
    const stream = await streamIndex(realFs, dir)
    expect(stream.base).toBe(hex('a'))
    expect(await collect(stream.entries)).toEqual(Object.keys(index.entries).sort().map((p) => [p, index.entries[p]]))
    expect((await collect(stream.lines)).map(pathOfLine)).toEqual(Object.keys(index.entries).sort())
    expect(await findIndexEntry(realFs, dir, '.gasrules')).toEqual(index.entries['.gasrules'])
    expect(await findIndexEntry(realFs, dir, 'b')).toBeUndefined()
    expect(await findIndexEntry(realFs, dir, 'zz')).toBeUndefined()
  })

  it('reads an index of the older one-line layout, and a missing or empty one as empty', async () => {
    const dir = tmp()
    writeFileSync(join(dir, 'index.json'), JSON.stringify(index))
    const stream = await streamIndex(realFs, dir)
    expect(stream.base).toBe(hex('a'))
    expect((await collect(stream.entries)).map(([p]) => p)).toEqual(Object.keys(index.entries).sort())
    expect((await collect(stream.lines)).map(pathOfLine)).toEqual(Object.keys(index.entries).sort())
    const none = await streamIndex(realFs, tmp())
    expect(none.base).toBeNull()
    expect(await collect(none.entries)).toEqual([])
    expect(await collect(none.lines)).toEqual([])
    const empty = tmp()
    await writeIndex(realFs, empty, { base: null, entries: {} })
    expect(await readIndex(realFs, empty)).toEqual({ base: null, entries: {} })
    expect(await collect((await streamIndex(realFs, empty)).entries)).toEqual([])
  })

  it('refuses a damaged index: cut short, out of order, or a line that is not an entry', async () => {
    const dir = tmp()
    await writeIndex(realFs, dir, index)
    const text = readFileSync(join(dir, 'index.json'), 'utf8')
    const lines = text.split('\n')
    const damaged = [
      text.slice(0, text.lastIndexOf('}}')),
      [lines[0], lines[2], lines[1], ...lines.slice(3)].join('\n').replace(/,\n(?=[^\n]*\n}})/, '\n'),
      [lines[0], 'not json', ...lines.slice(1)].join('\n'),
      `${text}trailing`
    ]
    for (const bad of damaged) {
      writeFileSync(join(dir, 'index.json'), bad)
      await expect(collect((await streamIndex(realFs, dir)).entries)).rejects.toMatchObject({ code: 'E_CORRUPT_OBJECT' })
    }
    expect(() => pathOfLine('nope')).toThrow(/damaged/)
    expect(() => pathOfLine('"unterminated')).toThrow(/damaged/)
  })
})
