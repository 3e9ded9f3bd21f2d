import { createHash, randomBytes } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import * as nodeFs from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { chunkStream } from '../../src/objects/chunker.js'
import { decodeFileManifest } from '../../src/objects/file-manifest.js'
import { hashObject } from '../../src/objects/id.js'
import { SLOT_BYTES, cutInParallel } from '../../src/objects/parallel-chunker.js'
import { FileStore } from '../../src/pack/file-store.js'
import { ingestFile } from '../../src/repo/ingest.js'
import { useTmp } from '../helpers/tmp.js'

const tmp = useTmp()

async function * once (data: Buffer): AsyncGenerator<Buffer> { yield data }

describe('cutInParallel', () => {
  it('cuts exactly like chunkStream, across slot and ring boundaries, and sees every byte once', async () => {
    // several times the ring (6 slots), with a file length that is not a multiple of a slot
    const data = randomBytes(SLOT_BYTES * 9 + 12_345)
    const expected: string[] = []
    for await (const c of chunkStream(once(data))) expected.push(hashObject('chunk', c))
    let offset = 0
    const read = async (into: Buffer): Promise<number> => {
      const n = Math.min(into.length, data.length - offset)
      data.copy(into, 0, offset, offset + n)
      offset += n
      return n
    }
    const seen = createHash('sha256')
    const got: string[] = []
    const rebuilt = createHash('sha256')
    for await (const { id, bytes } of cutInParallel(read, (b) => seen.update(b))) {
      expect(hashObject('chunk', bytes)).toBe(id) // the bytes handed out are the bytes hashed
      rebuilt.update(bytes)
      got.push(id)
    }
    expect(got).toEqual(expected)
    const whole = createHash('sha256').update(data).digest('hex')
    expect(seen.digest('hex')).toBe(whole)
    expect(rebuilt.digest('hex')).toBe(whole)
  })

  it('keeps several reads in flight at their own positions while chunks are handed out, and cuts the same', async () => {
    const data = randomBytes(SLOT_BYTES * 7 + 4321)
    let inFlight = 0
    let most = 0
    const positions: number[] = []
    // each read finishes a few event-loop turns later, as a thread-pool read does
    const read = async (into: Buffer, position: number): Promise<number> => {
      positions.push(position)
      most = Math.max(most, ++inFlight)
      for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve))
      inFlight--
      return data.copy(into, 0, Math.min(position, data.length), Math.min(position + into.length, data.length))
    }
    const got: string[] = []
    for await (const { id } of cutInParallel(read, () => {})) got.push(id)
    const expected: string[] = []
    for await (const c of chunkStream(once(data))) expected.push(hashObject('chunk', c))
    expect(got).toEqual(expected)
    expect(most).toBeGreaterThan(2)
    expect(positions.slice(0, 8)).toEqual(Array.from({ length: 8 }, (_, i) => i * SLOT_BYTES))
  })

  it('handles an empty source and one shorter than a slot', async () => {
    const none: string[] = []
    for await (const c of cutInParallel(async () => 0, () => {})) none.push(c.id)
    expect(none).toEqual([])
    const small = randomBytes(1000)
    let done = false
    const out: Buffer[] = []
    for await (const c of cutInParallel(async (into) => { if (done) return 0; done = true; small.copy(into); return small.length }, () => {})) out.push(Buffer.from(c.bytes))
    expect(Buffer.concat(out).equals(small)).toBe(true)
  })

  it('a large file ingested in parallel restores byte for byte and matches the streaming manifest', async () => {
    const dir = tmp()
    const data = randomBytes(20 * 1024 * 1024)
    writeFileSync(join(dir, 'big.bin'), data)
    const store = await FileStore.open(join(dir, 'objects'))
    const result = await ingestFile(nodeFs, store, join(dir, 'big.bin'), 'bin')
    expect(result.sha256).toBe(createHash('sha256').update(data).digest('hex'))
    const manifest = decodeFileManifest(result.manifest)
    const expected: string[] = []
    for await (const c of chunkStream(once(data))) expected.push(hashObject('chunk', c))
    expect(manifest.chunks.map((c) => c.id)).toEqual(expected)
    const parts: Buffer[] = []
    for (const c of manifest.chunks) parts.push(Buffer.from((await store.get(c.id)).body))
    expect(Buffer.concat(parts).equals(data)).toBe(true)
    await store.closeAll()
  })
})
