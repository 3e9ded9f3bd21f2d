import { createHash } from 'node:crypto'
import * as nodeFs from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { GasError } from '../../src/errors.js'
import type { FileSystem } from '../../src/objects/fs.js'
import { heldWritesFs, packHandlesFs, settle } from '../helpers/pack-handles.js'
import { hashObject } from '../../src/objects/id.js'
import { FileStore } from '../../src/pack/file-store.js'
import { PackWriter } from '../../src/pack/pack-writer.js'
import { readEntry } from '../../src/pack/pack-file.js'
import { useTmp } from '../helpers/tmp.js'

const tmp = useTmp()

/** realFs whose pack handles hold every fdatasync until `release()` (or fail it with `fail`) */
function slowSyncFs (): { fs: FileSystem, pending: () => number, release: (failure?: Error) => void } {
  let waiting: Array<{ resolve: () => void, reject: (err: Error) => void }> = []
  const fs = packHandlesFs('datasync', (datasync) => async () => { await new Promise<void>((resolve, reject) => waiting.push({ resolve, reject })); await datasync() })
  const release = (failure?: Error): void => {
    const now = waiting
    waiting = []
    for (const w of now) failure === undefined ? w.resolve() : w.reject(failure)
  }
  return { fs, pending: () => waiting.length, release }
}

const CHUNK = 256 * 1024

/** Closes `writer`, letting its held disk operations through (`release`) until it is done; a failed writer's close rejects: returns what it threw. */
async function closeReleasing (writer: PackWriter, release: () => void): Promise<unknown> {
  let done = false
  const closing = writer.close().then(() => undefined, (err: unknown) => err).finally(() => { done = true })
  while (!done) {
    release()
    await settle()
  }
  return await closing
}

/** `count` distinct 256 KiB chunks appended to `writer`; returns their ids */
async function appendChunks (writer: PackWriter, count: number, seed: string): Promise<string[]> {
  const ids: string[] = []
  const body = Buffer.alloc(CHUNK)
  for (let i = 0; i < count; i++) {
    createHash('sha256').update(`${seed}-${i}`).digest().copy(body) // distinct content, the rest zeros
    const id = hashObject('chunk', body)
    await writer.append(id, { type: 'chunk', encoding: 0, rawLength: body.length, bytes: body })
    ids.push(id)
  }
  return ids
}

describe('PackWriter checkpoints', () => {
  it('appending past the checkpoint size goes on while the disk syncs; the index then covers what was written', async () => {
    const objects = tmp()
    const { fs, pending, release } = slowSyncFs()
    const writer = await PackWriter.create(fs, join(objects, 'pack'))
    // 96 MiB: past the 64 MiB checkpoint size, with every fdatasync held back
    const ids = await appendChunks(writer, 384, 'a')
    expect(pending()).toBe(1) // one checkpoint started in the background, and appending did not wait for it
    await expect(nodeFs.stat(writer.indexPath)).rejects.toThrow() // no index before its data is durable
    release()
    const closing = writer.close()
    // the final checkpoint syncs again before its index
    for (let i = 0; i < 100 && pending() === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10))
    release()
    await closing
    const reopened = await FileStore.open(objects)
    for (const id of [ids[0], ids[200], ids[383]]) expect(reopened.hasPacked(id)).toBe(true)
    expect((await reopened.get(ids[383])).body.length).toBe(CHUNK)
    await reopened.closeAll()
  })

  it('a background checkpoint that fails is reported by the next append, as a GasError', async () => {
    const { fs, pending, release } = slowSyncFs()
    const writer = await PackWriter.create(fs, join(tmp(), 'pack'))
    await appendChunks(writer, 260, 'b')
    expect(pending()).toBe(1)
    release(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }))
    await new Promise((resolve) => setTimeout(resolve, 20))
    const failure = await appendChunks(writer, 1, 'c').catch((err: unknown) => err)
    expect(failure).toBeInstanceOf(GasError)
    expect((failure as GasError).code).toBe('E_IO')
    // the failure stays (a later fdatasync may succeed over pages Linux dropped): appends and closing report it too
    expect(await appendChunks(writer, 1, 'd').catch((err: unknown) => err)).toMatchObject({ code: 'E_IO' })
    expect(await closeReleasing(writer, release)).toMatchObject({ code: 'E_IO' })
    await nodeFs.stat(writer.indexPath).then(() => { throw new Error('an index was written over data that never became durable') }, () => {})
    // nothing of it was made durable: the pack file goes
    await nodeFs.stat(writer.packPath).then(() => { throw new Error('a pack no index covers was left') }, () => {})
  })
})


describe('PackWriter writes behind appending', () => {
  it('goes on appending while a write is slow, up to a few batches, then waits; every entry reads back after', async () => {
    const objects = tmp()
    const { fs, held, release } = heldWritesFs()
    const writer = await PackWriter.create(fs, join(objects, 'pack'))
    let appended = 0
    const appending = (async () => {
      const ids: string[] = []
      for (let i = 0; i < 96; i++) {
        ids.push(...await appendChunks(writer, 1, `w${i}`))
        appended = ids.length
      }
      return ids
    })()
    await settle()
    // writes run one after another: the first is held, and appending stopped once every batch was taken
    expect(held()).toBe(1)
    const stoppedAt = appended
    // 8 chunks fill a 2 MiB batch: three more batches were filled behind the held write (one
    // write in flight, as before, stopped appending at the 16th chunk)
    expect(stoppedAt).toBeGreaterThanOrEqual(24)
    expect(stoppedAt).toBeLessThan(40)
    await settle()
    expect(appended).toBe(stoppedAt)
    // let the disk go: each write released lets the next one start
    while (held() > 0 || appended < 96) {
      release()
      await settle()
    }
    const ids = await appending
    const closing = writer.close()
    while (held() > 0 || !(await Promise.race([closing.then(() => true), settle().then(() => false)]))) release()
    await closing
    const reopened = await FileStore.open(objects)
    for (const id of [ids[0], ids[47], ids[95]]) expect((await reopened.get(id)).body.length).toBe(CHUNK)
    await reopened.closeAll()
  })

  it('two reads of an entry still in the batch both wait for its write: the second is not answered while the first one\'s write runs', async () => {
    const { fs, held, release } = heldWritesFs()
    const writer = await PackWriter.create(fs, join(tmp(), 'pack'))
    const [id] = await appendChunks(writer, 1, 'r')
    const answered: string[] = []
    // both drain: the first hands the batch to a write (held) and waits for it; the second finds
    // nothing left to hand over, and before the fix found no write listed either, and went on to read
    const reads = ['first', 'second'].map(async (name) => { const at = await writer.read(id); answered.push(name); return at })
    await settle()
    expect(held()).toBe(1)
    expect(answered).toEqual([])
    release()
    const [first, second] = await Promise.all(reads)
    expect(second!.offset).toBe(first!.offset)
    const { header, bytes } = await readEntry(second!.handle, second!.offset, writer.packPath)
    expect(header.id).toBe(id)
    expect(bytes.length).toBe(CHUNK)
    const closing = writer.close()
    while (!(await Promise.race([closing.then(() => true), settle().then(() => false)]))) release()
  })

  it('a write that fails fails an append after it with its GasError, and no index covers the pack', async () => {
    const { fs, held, release } = heldWritesFs()
    const writer = await PackWriter.create(fs, join(tmp(), 'pack'))
    const appending = appendChunks(writer, 64, 'f').then(() => undefined, (err: unknown) => err)
    await settle()
    expect(held()).toBe(1)
    release(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }))
    await settle()
    release(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }))
    const failure = await appending
    expect(failure).toBeInstanceOf(GasError)
    expect((failure as GasError).code).toBe('E_DISK_FULL')
    await nodeFs.stat(writer.indexPath).then(() => { throw new Error('an index was written over a failed write') }, () => {})
    expect(await closeReleasing(writer, release)).toMatchObject({ code: 'E_DISK_FULL' })
  })
})
