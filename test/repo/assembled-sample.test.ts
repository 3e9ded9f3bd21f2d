import { open, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { hashObject } from '../../src/objects/id.js'
import type { FileManifest } from '../../src/objects/file-manifest.js'
import { checkAssembledSample, sampleIndexes } from '../../src/repo/assembled-sample.js'
import { listedManifest } from '../../src/objects/chunk-list.js'
import { useTmp } from '../helpers/tmp.js'
import { pseudoRandomBytes } from '../net/helpers.js'

const tmp = useTmp()

describe('the read-back sample of an assembled file', () => {
  it('picks the first, the last and chunks spread between, each once', () => {
    expect(sampleIndexes(0)).toEqual([])
    expect(sampleIndexes(1)).toEqual([0])
    expect(sampleIndexes(3)).toEqual([0, 1, 2])
    const many = sampleIndexes(1000, 16)
    expect(many).toHaveLength(16)
    expect(many[0]).toBe(0)
    expect(many.at(-1)).toBe(999)
    expect(new Set(many).size).toBe(16)
  })

  it('accepts the file its chunks make, and refuses one shifted, damaged or of another size', async () => {
    const dir = tmp()
    const pieces = [1000, 3000, 2000, 500].map((n, i) => pseudoRandomBytes(`p${i}`, n))
    const manifest: FileManifest = { size: 6500, sha256: '0'.repeat(64), chunks: pieces.map((p) => ({ id: hashObject('chunk', p), length: p.length })) }
    const check = async (bytes: Buffer): Promise<boolean> => {
      const path = join(dir, 'f')
      await writeFile(path, bytes)
      const handle = await open(path, 'r')
      try {
        return await checkAssembledSample(handle, listedManifest(manifest))
      } finally {
        await handle.close()
      }
    }
    const whole = Buffer.concat(pieces)
    expect(await check(whole)).toBe(true)
    // the last two chunks swapped: same size, each chunk at the wrong offset
    expect(await check(Buffer.concat([pieces[0], pieces[1], pieces[3], pieces[2]]))).toBe(false)
    const damaged = Buffer.from(whole)
    damaged[4500] ^= 1
    expect(await check(damaged)).toBe(false)
    expect(await check(whole.subarray(0, 6499))).toBe(false)
    // a manifest whose chunk lengths do not add up to its size
    const handle = await open(join(dir, 'f'), 'r')
    try {
      expect(await checkAssembledSample(handle, listedManifest({ ...manifest, size: 6499 }))).toBe(false)
    } finally {
      await handle.close()
    }
  })
})
