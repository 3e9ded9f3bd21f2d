import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { chunkStream } from '../../src/objects/chunker.js'
import { hashObject } from '../../src/objects/id.js'
import { prng } from '../fixtures/prng.js'

/** Known bytes: mulberry32 seeded 20261130, one byte per draw. */
function knownBytes (length: number): Buffer {
  const random = prng(20261130)
  const bytes = Buffer.alloc(length)
  for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(random() * 256)
  return bytes
}

async function chunksOf (bytes: Buffer, readSize: number): Promise<{ ends: number[], ids: string[] }> {
  async function * reads (): AsyncGenerator<Uint8Array> {
    for (let at = 0; at < bytes.length; at += readSize) yield bytes.subarray(at, at + readSize)
  }
  const ends: number[] = []
  const ids: string[] = []
  let at = 0
  for await (const chunk of chunkStream(reads())) {
    at += chunk.length
    ends.push(at)
    ids.push(hashObject('chunk', chunk))
  }
  return { ends, ids }
}

const sha256 = (text: string | Buffer): string => createHash('sha256').update(text).digest('hex')

/**
 * Fixed vectors for "the same bytes give the same chunks on every peer": a change of FastCDC
 * parameters, of fastcdc-wasm's gear table or of our windowing would make peers disagree on chunk
 * ids (and stop deduplicating against each other), and fails here.
 */
describe('chunking test vectors', () => {
  it('1 MiB of known bytes: known boundaries and chunk ids', async () => {
    const bytes = knownBytes(1024 * 1024)
    expect(sha256(bytes)).toBe('48ab25669352c50828dd96d9d2bf231fa6ee0814e7b1c95e9c768a1fd8864aa2') // the input itself is pinned
    const { ends, ids } = await chunksOf(bytes, 1024 * 1024)
    expect(ends).toEqual([39663, 135440, 231653, 291734, 493150, 576962, 675874, 723771, 812407, 885040, 941195, 1048576])
    expect(ids).toEqual([
      '0c905dd811811e222acca93626121f8cbd993740cb295d8cf68a33e739ee5a79', '2f3ab7c110fc2d4c107b698695d8d48a32a7aa3c863131e37d33cdd48b6ad41e',
      'eaf4ce0064cccd09aa0541e1cf3f4ca6e0bb631b4109b20940959be283c193e3', '4b345c72e08cd1e7123b63d3ed81eb22a35c7e047aee81b106b78364ba337edb',
      '4b06d3314348900983613cb746b66925d55a3b6a25525746baefedf82f6bd83b', '0505c1d5b223e3feb8d32ae8c6b3e15e42fa564477bdc305197fde7b2e833279',
      'dc322e36adbbacf96ff907ed9b53d396d11c7a7def863bf0bb723174275f8723', '1911c4bf6e4b7edf2ade9dca32d57a1484fc41fef8134f27d2470979e3cdf605',
      'e8b220e4963d06cd16fa8a55d06dad63bb348e6a0fbe63560abd599f508e34b7', '308372156fbafd0d416eac34966f0c9de27a31828277f61c801953cbae389085',
      '168e4c9bbcffaea350f4826ece53d1e65cdedcb0d61a68b46920acd9596d10fd', '523f4794507b2965e02210a8fb8434a0627ef42cde3c3df1f4814b62156ec046'
    ])
  })

  it('6 MiB + 12345 bytes (past the 4 MiB window): 90 known chunks, whatever the read size', async () => {
    const bytes = knownBytes(6 * 1024 * 1024 + 12345)
    expect(sha256(bytes)).toBe('5c3af50fe209323b4e088e66e151127b2b5763ed740a3486d4725b534efdc7fc')
    for (const readSize of [bytes.length, 65_537, 1_000_003]) {
      const { ends, ids } = await chunksOf(bytes, readSize)
      expect(ends).toHaveLength(90)
      expect(sha256(JSON.stringify(ends))).toBe('f9607aa602fc36d6dafdb25466b54daae0180a22f5a8e41f223acee38e9bd624')
      expect(sha256(ids.join('\n'))).toBe('de6596d2ab6afa6a99160a6f60194d613d7d4d84a220561d1f71d0071a4f3afa')
    }
  })
})
