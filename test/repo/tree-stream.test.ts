import { describe, expect, it } from 'vitest'
import { MemoryStore } from '../../src/objects/memory-store.js'
import { writeTree } from '../../src/repo/tree-io.js'
import { writeTreeSorted } from '../../src/repo/tree-stream.js'

async function * sorted (map: Map<string, string>): AsyncGenerator<[string, string]> {
  for (const path of [...map.keys()].sort()) yield [path, map.get(path) as string]
}

const id = (n: number): string => n.toString(16).padStart(64, '0')

describe('writeTreeSorted', () => {
  it('writes the very trees writeTree writes, for nested folders whose names sort around "/"', async () => {
    const paths = ['a.b', 'a/x', 'a/y/z.png', 'a/y.png', 'a-b/c', 'b', 'c/d/e/f/g.wav', 'c/d/e2', 'z/a', 'é/ü.txt']
    const map = new Map(paths.map((p, i) => [p, id(i + 1)]))
    const whole = new MemoryStore()
    const streamed = new MemoryStore()
    const expected = await writeTree(whole, map)
    expect(await writeTreeSorted(streamed, sorted(map))).toBe(expected)
    expect(await writeTreeSorted(new MemoryStore(), sorted(new Map()))).toBe(await writeTree(new MemoryStore(), new Map()))
  })

  it('refuses paths out of order or twice, and a name that is both a file and a folder', async () => {
    const store = new MemoryStore()
    const list = async function * (items: Array<[string, string]>): AsyncGenerator<[string, string]> { yield * items }
    await expect(writeTreeSorted(store, list([['b', id(1)], ['a', id(2)]]))).rejects.toMatchObject({ code: 'E_BAD_ARGUMENT' })
    await expect(writeTreeSorted(store, list([['a', id(1)], ['a', id(2)]]))).rejects.toMatchObject({ code: 'E_BAD_ARGUMENT' })
    await expect(writeTreeSorted(store, list([['a', id(1)], ['a/b', id(2)]]))).rejects.toMatchObject({ code: 'E_BAD_ARGUMENT', message: expect.stringContaining('both a file and a folder') })
  })
})
