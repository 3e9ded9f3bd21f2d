import { constants } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { AlignedBuffers, DIRECT_ALIGNMENT, alignedAlloc } from '../../src/objects/aligned-buffers.js'
import { blocksWithin, openForWriting, wholeBlocks } from '../../src/objects/direct-file.js'
import { realFs, type FileSystem } from '../../src/objects/fs.js'
import { useTmp } from '../helpers/tmp.js'

const tmp = useTmp()
const O_DIRECT = (constants as { O_DIRECT?: number }).O_DIRECT ?? 0

/** realFs that refuses O_DIRECT as tmpfs does (EINVAL), after creating the file as Linux may */
const noDirectFs: FileSystem = {
  ...realFs,
  open: (async (path: string, flags?: string | number) => {
    if (typeof flags === 'number' && (flags & O_DIRECT) !== 0) {
      await (await realFs.open(path, 'w')).close()
      throw Object.assign(new Error('EINVAL: invalid argument, open'), { code: 'EINVAL' })
    }
    return await realFs.open(path, flags)
  }) as FileSystem['open']
}

describe('files written with O_DIRECT', () => {
  it.runIf(process.platform === 'linux')('a whole-block write from aligned memory lands; padded and truncated, the file has its size', async () => {
    const path = join(tmp(), 'direct')
    const { handle, direct } = await openForWriting(realFs, path, true)
    expect(direct).toBe(true)
    const buffer = alignedAlloc(3 * DIRECT_ALIGNMENT)!
    buffer.fill(7)
    await handle.write(buffer, 0, wholeBlocks(5000), 0)
    await handle.truncate(5000)
    await handle.close()
    expect(await readFile(path)).toEqual(Buffer.alloc(5000, 7))
  })

  it('falls back to an ordinary file where O_DIRECT is refused, turned off, or not asked for; other failures are reported', async () => {
    const dir = tmp()
    const refused = await openForWriting(noDirectFs, join(dir, 'a'), true)
    expect(refused.direct).toBe(false)
    await refused.handle.write(Buffer.from('odd length'), 0, 10, 0)
    await refused.handle.close()
    expect(await readFile(join(dir, 'a'), 'utf8')).toBe('odd length')
    process.env.GAS_DIRECT_WRITES = '0'
    try {
      const off = await openForWriting(realFs, join(dir, 'b'), true)
      expect(off.direct).toBe(false)
      await off.handle.close()
    } finally {
      delete process.env.GAS_DIRECT_WRITES
    }
    const unaligned = await openForWriting(realFs, join(dir, 'c'), false)
    expect(unaligned.direct).toBe(false)
    await unaligned.handle.close()
    // an ordinary open is exclusive: the name is taken
    await expect(openForWriting(realFs, join(dir, 'c'), false)).rejects.toMatchObject({ code: 'EEXIST' })
    await expect(openForWriting(realFs, join(dir, 'missing', 'd'), true)).rejects.toMatchObject({ code: 'ENOENT' })
  })

  it('block arithmetic', () => {
    expect([wholeBlocks(0), wholeBlocks(1), wholeBlocks(4096), wholeBlocks(4097)]).toEqual([0, 4096, 4096, 8192])
    expect([blocksWithin(4095), blocksWithin(4096), blocksWithin(10000)]).toEqual([0, 4096, 8192])
  })
})

describe('AlignedBuffers', () => {
  it('reuses what it made, ignores buffers from elsewhere, and says so when no aligned memory can be had', () => {
    let made = 0
    const pool = new AlignedBuffers(DIRECT_ALIGNMENT, (bytes) => { made++; return Buffer.alloc(bytes) })
    const a = pool.take()!
    pool.give(a)
    expect(pool.take()).toBe(a)
    pool.give(Buffer.alloc(DIRECT_ALIGNMENT))
    expect(pool.take()).not.toBe(a)
    expect(made).toBe(2)
    expect(new AlignedBuffers(DIRECT_ALIGNMENT, () => undefined).take()).toBeUndefined()
    expect(() => new AlignedBuffers(1000)).toThrow(RangeError)
  })
})
