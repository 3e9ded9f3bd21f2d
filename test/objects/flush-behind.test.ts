import { randomBytes } from 'node:crypto'
import { open, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it, vi } from 'vitest'
import { FlushBehind } from '../../src/objects/flush-behind.js'
import { useTmp } from '../helpers/tmp.js'

const tmp = useTmp()
const MiB = 1024 * 1024

describe('FlushBehind', () => {
  it('flushes a real file once a window more is written, one flush at a time, and none once settled', async () => {
    const path = join(tmp(), 'pack')
    const content = randomBytes(10 * MiB)
    const handle = await open(path, 'wx+')
    try {
      const datasync = vi.spyOn(handle, 'datasync')
      const flush = new FlushBehind(handle, 4 * MiB)
      await handle.write(content, 0, content.length, 0)
      flush.written(3 * MiB)
      expect(datasync).toHaveBeenCalledTimes(0)
      flush.written(4 * MiB)
      // a flush still running takes no second one
      flush.written(9 * MiB)
      expect(datasync).toHaveBeenCalledTimes(1)
      await flush.flushed()
      // flushed to 4 MiB: the next window ends at 8
      flush.written(7 * MiB)
      expect(datasync).toHaveBeenCalledTimes(1)
      flush.written(9 * MiB)
      expect(datasync).toHaveBeenCalledTimes(2)
      await flush.flushed()
      await flush.settle()
      flush.written(20 * MiB)
      expect(datasync).toHaveBeenCalledTimes(2)
    } finally {
      await handle.close()
    }
    expect((await readFile(path)).equals(content)).toBe(true)
  })

  it('a flush that failed is thrown to the owner at every flushed(), not lost, and stops flushing', async () => {
    const handle = await open(join(tmp(), 'closed'), 'wx+')
    await handle.close()
    const datasync = vi.spyOn(handle, 'datasync')
    const flush = new FlushBehind(handle, MiB)
    flush.written(2 * MiB)
    // the flush of a closed descriptor fails as a failing disk's would: the error reaches the owner
    await expect(flush.flushed()).rejects.toThrow()
    await expect(flush.flushed()).rejects.toThrow()
    flush.written(8 * MiB)
    expect(datasync).toHaveBeenCalledTimes(1)
    // settle, on the way to closing the file, does not throw: the owner's flushed() already did
    await flush.settle()
  })
})
