import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { ByteSource, withSource } from '../../src/preview/byte-source.js'
import { READ_BLOCK_BYTES } from '../../src/preview/limits.js'
import { tempDir } from './helpers.js'

/** Closed sources hand their full-size window to the next one: it must read its own file's bytes, never the last file's. */
const { put } = tempDir()

describe('ByteSource window reuse', () => {
  it('a source opened after another closed reads its own bytes through the reused window', async () => {
    const a = randomBytes(READ_BLOCK_BYTES + 1000); const b = randomBytes(READ_BLOCK_BYTES + 3000)
    const pa = put('a.bin', a); const pb = put('b.bin', b)
    const first = await ByteSource.open(pa)
    await first.need(READ_BLOCK_BYTES)
    const window = first.bytes
    await first.close()
    expect(first.bytes.length).toBe(0)
    const second = await ByteSource.open(pb)
    try {
      expect(second.bytes).toBe(window)
      await second.need(500)
      expect(Buffer.from(second.bytes.subarray(0, 500)).equals(b.subarray(0, 500))).toBe(true)
      second.seek(READ_BLOCK_BYTES + 1000)
      expect(Buffer.from(await second.take(2000)).equals(b.subarray(READ_BLOCK_BYTES + 1000))).toBe(true)
    } finally { await second.close() }
  })

  it('sources open at the same time never share a window', async () => {
    const p = put('c.bin', randomBytes(READ_BLOCK_BYTES * 2))
    const pq = put('d.bin', randomBytes(READ_BLOCK_BYTES * 2))
    await withSource(p, async (x) => {
      await withSource(pq, async (y) => {
        await x.need(10); await y.need(10)
        expect(x.bytes).not.toBe(y.bytes)
      })
    })
  })
})
