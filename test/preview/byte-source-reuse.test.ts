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

/** In a worker thread (as in the preview pool) reads are made in place; the bytes must be the same. */
describe('ByteSource in a worker thread', () => {
  it('reads windows, records at an offset and the end of a file as the main thread does', async () => {
    const { Worker } = await import('node:worker_threads')
    const { resolve } = await import('node:path')
    const data = randomBytes(READ_BLOCK_BYTES * 2 + 777)
    const path = put('w.bin', data)
    const code = `
      const { parentPort, workerData } = require('node:worker_threads')
      import(workerData.module).then(async ({ withSource }) => {
        const out = await withSource(workerData.path, async (src) => {
          await src.need(100)
          const head = src.bytes.slice(0, 100)
          const mid = await src.readAt(${READ_BLOCK_BYTES} - 5, 10)
          src.seek(src.size - 777)
          const tail = await src.take(777)
          let error = ''
          try { await src.need(1) } catch (e) { error = e.code }
          return { head, mid, tail, error }
        })
        parentPort.postMessage(out)
      }, (e) => parentPort.postMessage({ failed: String(e) }))`
    const worker = new Worker(code, { eval: true, workerData: { path, module: 'file://' + resolve('dist/src/preview/byte-source.js') } })
    const got = await new Promise<{ head: Uint8Array, mid: Uint8Array, tail: Uint8Array, error: string, failed?: string }>((res, rej) => { worker.once('message', res); worker.once('error', rej) })
    await worker.terminate()
    expect(got.failed).toBeUndefined()
    expect(Buffer.from(got.head).equals(data.subarray(0, 100))).toBe(true)
    expect(Buffer.from(got.mid).equals(data.subarray(READ_BLOCK_BYTES - 5, READ_BLOCK_BYTES + 5))).toBe(true)
    expect(Buffer.from(got.tail).equals(data.subarray(data.length - 777))).toBe(true)
    expect(got.error).toBe('E_MALFORMED_ASSET')
  })
})
