import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { packChunks, packHandlesFs } from '../helpers/pack-handles.js'
import { FileStore } from '../../src/pack/file-store.js'
import { READ_AHEAD_BYTES } from '../../src/pack/read-ahead.js'
import { useTmp } from '../helpers/tmp.js'

const tmp = useTmp()

/** Pack reads with what each asked for: how many read(2) calls, how many bytes, and whether any byte was asked for twice. */
function recordingFs (): { fs: ReturnType<typeof packHandlesFs>, ranges: Array<[number, number]> } {
  const ranges: Array<[number, number]> = []
  const fs = packHandlesFs('read', (read) => (...args: unknown[]) => {
    const [, , length, position] = args as [Uint8Array, number, number, number]
    ranges.push([position, position + length])
    return read(...args)
  })
  return { fs, ranges }
}

describe('pack read-ahead: entries running past a window', () => {
  it('a run in pack order (a serving peer, 16 asked at a time) reads each byte once, in one read(2) per MiB: an entry crossing a window end comes from the two windows', async () => {
    const dir = tmp()
    // 100–250 KB chunks: about one in five crosses a window end
    const chunks = Array.from({ length: 48 }, (_, i) => randomBytes(100_000 + (i * 7919) % 150_000))
    const ids = await packChunks(join(dir, 'objects'), chunks)
    const total = chunks.reduce((n, c) => n + c.length, 0)

    const { fs, ranges } = recordingFs()
    const store = await FileStore.open(join(dir, 'objects'), fs)
    await store.get(ids[0]) // the run starts after the first entry read
    const before = ranges.length
    for (let from = 1; from < ids.length; from += 16) {
      const batch = ids.slice(from, from + 16)
      const got = await Promise.all(batch.map(async (id) => await store.getEncoded(id)))
      got.forEach((o, k) => expect(Buffer.from(o!.bytes).equals(chunks[from + k])).toBe(true))
    }
    const run = ranges.slice(before).sort((a, b) => a[0] - b[0])
    const windows = Math.ceil(total / READ_AHEAD_BYTES)
    // one read per window, the next one read ahead (was a window and a read of the crossing entry's tail per MiB)
    expect(run.length).toBeLessThanOrEqual(windows + 2)
    for (const [from, to] of run) expect(to - from).toBe(READ_AHEAD_BYTES)
    // no byte asked for twice, except a window reaching past the pack's end
    for (let i = 1; i < run.length; i++) expect(run[i][0]).toBeGreaterThanOrEqual(run[i - 1][1])
    await store.closeAll()
  })
})
