import { appendFileSync, readFileSync, writeFileSync } from 'node:fs'
import * as nodeFs from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { FileCompleteTrees } from '../../src/objects/complete-trees.js'
import * as gas from '../../src/index.js'
import { FileStore } from '../../src/pack/file-store.js'
import { useTmp } from '../helpers/tmp.js'

const tmp = useTmp()
const id = (n: number): string => n.toString(16).padStart(64, '0')

describe('FileCompleteTrees', () => {
  it('remembers whole trees across opens, appending only new ones; a torn last line is ignored', async () => {
    const objects = join(tmp(), 'objects')
    const first = await FileCompleteTrees.open(nodeFs, objects)
    expect(first.has(id(1))).toBe(false)
    await first.add([id(1), id(2)])
    await first.add([id(2), id(3)])
    const file = join(objects, 'info', 'complete-trees')
    expect(readFileSync(file, 'utf8').split('\n').filter(Boolean)).toEqual([id(1), id(2), id(3)])
    appendFileSync(file, id(4).slice(0, 30)) // a crash mid-append
    const again = await FileCompleteTrees.open(nodeFs, objects)
    expect([1, 2, 3, 4].map((n) => again.has(id(n)))).toEqual([true, true, true, false])
    await again.clear()
    expect((await FileCompleteTrees.open(nodeFs, objects)).has(id(1))).toBe(false)
  })

  it('a FileStore opens its record, and a record it cannot write is a typed error', async () => {
    const dir = tmp()
    const store = await FileStore.open(join(dir, 'objects'))
    await store.completeTrees.add([id(7)])
    await store.closeAll()
    const reopened = await FileStore.open(join(dir, 'objects'))
    expect(reopened.completeTrees.has(id(7))).toBe(true)
    await reopened.closeAll()
    const readOnly = { ...nodeFs, appendFile: (async () => { const e = new Error('read-only') as NodeJS.ErrnoException; e.code = 'EROFS'; throw e }) as typeof nodeFs.appendFile }
    const trees = await FileCompleteTrees.open(readOnly, join(dir, 'objects'))
    await expect(trees.add([id(8)])).rejects.toMatchObject({ name: 'GasError' })
    expect(trees.has(id(8))).toBe(false)
  })

  it('gas fsck forgets every whole tree when it finds a damaged object, so the next sync walks and refetches', async () => {
    const dir = tmp()
    const ws = await gas.init({ dir, name: 'ana', previewer: async () => [] })
    writeFileSync(join(dir, 'a.txt'), 'alpha')
    await gas.add(ws, { paths: [dir] })
    const version = await gas.commit(ws, { message: 'one' })
    await ws.store.completeTrees.add([id(9)])
    expect((await gas.fsck(ws)).ok).toBe(true)
    expect(ws.store.completeTrees.has(id(9))).toBe(true)
    writeFileSync(ws.store.loose.pathOf(version), 'garbage')
    expect((await gas.fsck(ws)).ok).toBe(false)
    expect(ws.store.completeTrees.has(id(9))).toBe(false)
    await ws.close()
  })
})
