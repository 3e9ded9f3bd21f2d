import { randomBytes } from 'node:crypto'
import * as nodeFs from 'node:fs/promises'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { countingFs } from '../helpers/pack-handles.js'
import { FileStore } from '../../src/pack/file-store.js'
import { RACY_MS, folderStamp } from '../../src/pack/folder-stamp.js'
import { useTmp } from '../helpers/tmp.js'

const tmp = useTmp()


describe('a pack that grows while another store reads it', () => {
  it('reads in pack order across checkpoints are exact, and the new tail is read ahead, not entry by entry', async () => {
    const objects = join(tmp(), 'objects')
    const writer = await FileStore.open(objects)
    const { fs, reads } = countingFs()
    const reader = await FileStore.open(objects, fs)
    const chunks: Buffer[] = []
    const ids: string[] = []
    const addChunks = async (n: number): Promise<void> => {
      for (let i = 0; i < n; i++) {
        const c = randomBytes(40_000 + (chunks.length * 7919) % 40_000)
        chunks.push(c)
        ids.push(await writer.put('chunk', c))
      }
      await writer.flush()
    }
    await addChunks(5)
    for (let i = 0; i < ids.length; i++) expect(Buffer.from((await reader.get(ids[i])).body).equals(chunks[i])).toBe(true)
    // the reader's window over the first 5 ended at the pack's end then; the pack grows past it
    const before = reads()
    await addChunks(40)
    for (let i = 5; i < ids.length; i++) expect(Buffer.from((await reader.get(ids[i])).body).equals(chunks[i])).toBe(true)
    expect(reads() - before).toBeLessThan(12) // 40 entries of ~2.4 MB: a few windows, not 40 reads
    await writer.closeAll()
    await reader.closeAll()
  })

  it('reads under way while the reader takes a longer index all succeed', async () => {
    const objects = join(tmp(), 'objects')
    const writer = await FileStore.open(objects)
    const reader = await FileStore.open(objects)
    const ids: string[] = []
    for (let i = 0; i < 30; i++) ids.push(await writer.put('chunk', randomBytes(30_000)))
    await writer.flush()
    expect(await reader.has(ids[0])).toBe(true)
    for (let i = 0; i < 30; i++) ids.push(await writer.put('chunk', randomBytes(30_000)))
    await writer.flush()
    // the miss of a new id makes the reader take the longer index while the old ids are being read
    const all = await Promise.all([...ids.map(async (id) => await reader.getEncoded(id)), reader.getEncoded('f'.repeat(64))])
    expect(all.slice(0, ids.length).every((o) => o !== undefined)).toBe(true)
    expect(all[ids.length]).toBeUndefined()
    await writer.closeAll()
    await reader.closeAll()
  })

  it('a folder changed less than RACY_MS ago is not trusted by its mtime (one clock tick may hold two changes)', async () => {
    const dir = join(tmp(), 'd')
    mkdirSync(dir)
    const { mtimeMs } = await nodeFs.stat(dir)
    expect(await folderStamp(nodeFs, dir, () => mtimeMs + 5)).toEqual({ mtimeMs, trusted: false })
    expect(await folderStamp(nodeFs, dir, () => mtimeMs + RACY_MS + 1)).toEqual({ mtimeMs, trusted: true })
  })
})
