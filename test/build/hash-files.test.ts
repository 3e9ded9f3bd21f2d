import { randomBytes } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import * as nodeFs from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { hashFile } from '../../src/build/hash-file.js'
import { hashFiles, hashOnThreads } from '../../src/build/hash-files.js'
import { useTmp } from '../helpers/tmp.js'

const tmp = useTmp()

describe('hashFiles', () => {
  it('on threads and without: each file\'s SHA-256 and size, in the order given, as hashFile computes them', async () => {
    const dir = tmp()
    const sizes = [3 * 1024 * 1024 + 5, 0, 17, 9 * 1024 * 1024, 4 * 1024 * 1024]
    const files = sizes.map((size, i) => {
      const path = join(dir, `f${i}`)
      writeFileSync(path, randomBytes(size))
      return { path, size }
    })
    const threaded = await hashOnThreads(files, 2)
    // 16 MiB in all: under the threads' threshold, hashed here
    const serial = await hashFiles(nodeFs, files)
    const one = await Promise.all(files.map(async (f) => await hashFile(nodeFs, f.path)))
    expect(threaded).toEqual(one)
    expect(serial).toEqual(one)
    expect(threaded.map((r) => r.size)).toEqual(sizes)
  })

  it('a file that cannot be read is a typed error naming it, on threads as without', async () => {
    const dir = tmp()
    writeFileSync(join(dir, 'here'), 'x')
    const files = [{ path: join(dir, 'here'), size: 1 }, { path: join(dir, 'gone'), size: 1 }]
    const notFound = { code: 'E_NOT_FOUND', message: expect.stringContaining('gone') }
    await expect(hashOnThreads(files, 2)).rejects.toMatchObject(notFound)
    await expect(hashFiles(nodeFs, files)).rejects.toMatchObject(notFound)
  })
})
