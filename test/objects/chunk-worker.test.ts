import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { chunkStream } from '../../src/objects/chunker.js'
import { ChunkWorker } from '../../src/objects/chunk-worker.js'
import { hashObject } from '../../src/objects/id.js'
import { SLOT_BYTES, cutInParallel } from '../../src/objects/parallel-chunker.js'

async function * once (data: Buffer): AsyncGenerator<Buffer> { yield data }

function reader (data: Buffer): (into: Buffer) => Promise<number> {
  let offset = 0
  return async (into) => {
    const n = Math.min(into.length, data.length - offset)
    data.copy(into, 0, offset, offset + n)
    offset += n
    return n
  }
}

async function expectedIds (data: Buffer): Promise<string[]> {
  const ids: string[] = []
  for await (const c of chunkStream(once(data))) ids.push(hashObject('chunk', c))
  return ids
}

async function parallelIds (data: Buffer): Promise<string[]> {
  const ids: string[] = []
  for await (const { id, bytes } of cutInParallel(reader(data), () => {})) {
    expect(hashObject('chunk', bytes)).toBe(id)
    ids.push(id)
  }
  return ids
}

describe('the chunking worker across files', () => {
  it('is kept for the next file after a file it finished', () => {
    const first = ChunkWorker.take()
    first.release(true)
    const again = ChunkWorker.take()
    expect(again).toBe(first)
    again.release(true)
  })

  it('files one after another (the worker kept between them) are each cut exactly as chunkStream cuts them', async () => {
    for (const size of [SLOT_BYTES * 3 + 777, SLOT_BYTES * 2, 100_000, SLOT_BYTES * 5 + 1]) {
      const data = randomBytes(size)
      expect(await parallelIds(data)).toEqual(await expectedIds(data))
    }
  })

  it('a file given up halfway leaves nothing behind for the next one', async () => {
    const abandoned = randomBytes(SLOT_BYTES * 6)
    let taken = 0
    let used: ChunkWorker | undefined
    for await (const chunk of cutInParallel(reader(abandoned), () => {})) {
      void chunk
      if (++taken === 5) { used = ChunkWorker.take(); used.release(true); break } // (a second worker: the file's own is busy)
    }
    const after = ChunkWorker.take()
    after.release(true)
    expect(after).toBe(used) // the abandoned file's worker was stopped, not kept
    const next = randomBytes(SLOT_BYTES * 4 + 12_345)
    expect(await parallelIds(next)).toEqual(await expectedIds(next))
  })

  it('a read that fails ends the file with that error, and the next file is cut correctly', async () => {
    let calls = 0
    const failing = async (into: Buffer): Promise<number> => {
      if (++calls === 3) throw new Error('EIO: disk went away')
      into.fill(calls)
      return into.length
    }
    await expect((async () => { for await (const c of cutInParallel(failing, () => {})) void c })()).rejects.toThrow(/disk went away/)
    const next = randomBytes(SLOT_BYTES * 3 + 5)
    expect(await parallelIds(next)).toEqual(await expectedIds(next))
  })
})
