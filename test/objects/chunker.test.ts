import { describe, expect, it } from 'vitest'
import { createHash, randomBytes } from 'node:crypto'
import { chunkStream, CHUNK_MAX, CHUNK_MIN } from '../../src/objects/chunker.js'
import { prng } from '../fixtures/prng.js'


async function * readsOf (data: Buffer, sizes: () => number): AsyncGenerator<Uint8Array> {
  for (let offset = 0; offset < data.length;) {
    const n = Math.max(1, Math.floor(sizes()))
    yield data.subarray(offset, offset + n)
    offset += n
  }
}

async function chunkIds (data: Buffer, sizes: () => number): Promise<string[]> {
  const ids: string[] = []
  for await (const chunk of chunkStream(readsOf(data, sizes))) ids.push(createHash('sha256').update(chunk).digest('hex').slice(0, 16))
  return ids
}

describe('chunkStream', () => {
  const data = randomBytes(20 * 1024 * 1024)

  it('gives the same chunks whatever the read sizes', async () => {
    const reference = await chunkIds(data, () => data.length)
    expect(reference.length).toBeGreaterThan(100)
    for (let seed = 1; seed <= 4; seed++) {
      const random = prng(seed)
      const scale = [1000, 65536, 3_000_000, 9_000_000][seed - 1]
      expect(await chunkIds(data, () => random() * scale)).toEqual(reference)
    }
  })

  it('keeps chunk sizes within min and max and covers every byte', async () => {
    let total = 0
    const sizes: number[] = []
    for await (const chunk of chunkStream(readsOf(data, () => 1 << 20))) { sizes.push(chunk.length); total += chunk.length }
    expect(total).toBe(data.length)
    expect(Math.max(...sizes)).toBeLessThanOrEqual(CHUNK_MAX)
    expect(Math.min(...sizes.slice(0, -1))).toBeGreaterThanOrEqual(CHUNK_MIN)
  })

  it('re-synchronises after an insertion: only chunks near the edit change', async () => {
    const edited = Buffer.concat([data.subarray(0, 5_000_001), randomBytes(1 << 20), data.subarray(5_000_001)])
    const before = new Set(await chunkIds(data, () => 1 << 20))
    const after = await chunkIds(edited, () => 1 << 20)
    const fresh = after.filter((id) => !before.has(id))
    expect(fresh.length).toBeLessThan(30)
  })

  it('handles empty and tiny inputs', async () => {
    expect(await chunkIds(Buffer.alloc(0), () => 10)).toEqual([])
    expect((await chunkIds(Buffer.from('hello'), () => 2)).length).toBe(1)
  })
})
