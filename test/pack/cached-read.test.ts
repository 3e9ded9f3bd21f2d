import { randomBytes } from 'node:crypto'
import { closeSync, fsyncSync, openSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadCachedRead, readCachedOnFirstUse } from '../../src/pack/cached-read.js'
import { loadPageCacheCalls } from '../../src/objects/page-cache-native.js'
import { useTmp } from '../helpers/tmp.js'

const tmp = useTmp()
const MiB = 1024 * 1024

describe.runIf(process.platform === 'linux')('cached reads of a pack (preadv2 with RWF_NOWAIT)', () => {
  it('reads what the page cache holds at once and exactly, stops at the end of the file, and leaves a range that is not cached to the thread pool', async () => {
    const read = loadCachedRead()
    expect(read).toBeDefined()
    const file = join(tmp(), 'data.pack')
    const bytes = randomBytes(3 * MiB)
    writeFileSync(file, bytes)
    const fd = openSync(file, 'r')
    try {
      const buffer = Buffer.alloc(MiB)
      expect(read!(fd, buffer, 1000)).toEqual({ bytes: MiB, whole: true })
      expect(buffer.equals(bytes.subarray(1000, 1000 + MiB))).toBe(true)
      expect(read!(fd, buffer, 3 * MiB - 100)).toEqual({ bytes: 100, whole: true })
      expect(buffer.subarray(0, 100).equals(bytes.subarray(3 * MiB - 100))).toBe(true)
      expect(read!(fd, buffer, 3 * MiB + 5)).toEqual({ bytes: 0, whole: true })
      // the same through the call loaded on first use (what packs on the real file system use)
      expect(readCachedOnFirstUse(fd, buffer, 2 * MiB)).toEqual({ bytes: MiB, whole: true })
      expect(buffer.equals(bytes.subarray(2 * MiB))).toBe(true)
      // written back, then dropped from the cache: nothing there is read without the disk
      fsyncSync(fd)
      await loadPageCacheCalls()!.dropCached(fd, 0, 3 * MiB)
      expect(read!(fd, buffer, 2 * MiB)).toMatchObject({ whole: false })
    } finally {
      closeSync(fd)
    }
  })
})
