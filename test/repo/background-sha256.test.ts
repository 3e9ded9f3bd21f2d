import { createHash, randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { BackgroundSha256 } from '../../src/repo/background-sha256.js'

function filled (bytes: Buffer): Buffer {
  const buffer = Buffer.allocUnsafeSlow(bytes.length + 100)
  bytes.copy(buffer)
  return buffer
}

describe('BackgroundSha256', () => {
  it('hashes several streams at once in their own order on the thread, and hands every buffer back', async () => {
    const parts = [randomBytes(1 << 20), randomBytes(12345), randomBytes(3 << 20)]
    const other = [randomBytes(777), randomBytes(1 << 19)]
    const returned: Buffer[] = []
    const a = new BackgroundSha256((buffer) => returned.push(buffer))
    const b = new BackgroundSha256((buffer) => returned.push(buffer))
    for (let i = 0; i < 3; i++) {
      a.update(filled(parts[i]), parts[i].length)
      if (i < 2) b.update(filled(other[i]), other[i].length)
    }
    const [da, db] = await Promise.all([a.digest(), b.digest()])
    expect(da).toBe(createHash('sha256').update(Buffer.concat(parts)).digest('hex'))
    expect(db).toBe(createHash('sha256').update(Buffer.concat(other)).digest('hex'))
    expect(returned).toHaveLength(5)
    // the buffers come back whole, their bytes as they were
    expect(returned.some((buffer) => buffer.subarray(0, parts[1].length).equals(parts[1]))).toBe(true)
    // an empty stream is the SHA-256 of nothing
    expect(await new BackgroundSha256(() => {}).digest()).toBe(createHash('sha256').digest('hex'))
  })

  it('refuses a buffer that is a view into a larger one, and after close hands buffers straight back', async () => {
    const s = new BackgroundSha256(() => {})
    expect(() => s.update(Buffer.allocUnsafeSlow(64).subarray(8), 8)).toThrow(/ArrayBuffer of its own/)
    s.close()
    const back: Buffer[] = []
    const closed = new BackgroundSha256((buffer) => back.push(buffer))
    closed.close()
    const mine = Buffer.allocUnsafeSlow(16)
    closed.update(mine, 16)
    expect(back).toEqual([mine])
    await expect(closed.digest()).rejects.toThrow(/closed/)
  })
})
