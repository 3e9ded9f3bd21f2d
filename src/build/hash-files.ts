import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import { fromFsError } from '../errors.js'
import { realFs, type FileSystem } from '../objects/fs.js'
import { hashFile } from './hash-file.js'

/**
 * why threads: SHA-256 of a file is one sequential pass, and node hashes on the thread that calls
 * it, so `gas build verify` used one core: 716 MB/s over a 1 GiB build against coreutils
 * `sha256sum` at 390. Files hashed on their own threads, largest first, use every core.
 * Inline CommonJS source, as chunk-worker.ts: it runs the same from dist/ and under the test runner.
 */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads')
const { openSync, readSync, closeSync } = require('node:fs')
const { createHash } = require('node:crypto')
const buffer = Buffer.allocUnsafe(4 * 1024 * 1024)
parentPort.on('message', ({ index, path }) => {
  let fd
  try {
    fd = openSync(path, 'r')
    const hash = createHash('sha256')
    let size = 0
    for (;;) {
      const n = readSync(fd, buffer, 0, buffer.length, null)
      if (n === 0) break
      hash.update(buffer.subarray(0, n))
      size += n
    }
    parentPort.postMessage({ index, sha256: hash.digest('hex'), size })
  } catch (err) {
    parentPort.postMessage({ index, error: { code: err && err.code, message: String(err && err.message || err) } })
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
})
`

/** why: below this in all a thread's start (~25 ms each) costs more than it saves */
const PARALLEL_MIN_BYTES = 64 * 1024 * 1024

export interface FileToHash { path: string, size: number }

/** SHA-256 and size of each file, in the order given; on threads of their own when there is enough to hash (and `fs` is the real file system). */
export async function hashFiles (fs: FileSystem, files: readonly FileToHash[]): Promise<Array<{ sha256: string, size: number }>> {
  const total = files.reduce((sum, f) => sum + f.size, 0)
  const threads = Math.min(availableParallelism(), files.length)
  if (fs === realFs && threads >= 2 && total >= PARALLEL_MIN_BYTES) return await hashOnThreads(files, threads)
  const results: Array<{ sha256: string, size: number }> = []
  for (const file of files) results.push(await hashFile(fs, file.path))
  return results
}

/** The same on `threads` worker threads, each taking the largest file left: the longest starts at once, the small ones fill the other threads around it. */
export async function hashOnThreads (files: readonly FileToHash[], threads: number): Promise<Array<{ sha256: string, size: number }>> {
  const order = files.map((f, index) => ({ ...f, index })).sort((a, b) => b.size - a.size)
  const results = new Array<{ sha256: string, size: number }>(files.length)
  const workers = Array.from({ length: threads }, () => new Worker(WORKER_SOURCE, { eval: true }))
  try {
    await Promise.all(workers.map(async (worker) => {
      for (let file = order.shift(); file !== undefined; file = order.shift()) {
        const { index, path } = file
        const answer = await new Promise<{ sha256?: string, size?: number, error?: { code?: string, message: string } }>((resolve, reject) => {
          worker.once('message', resolve)
          worker.once('error', reject)
          worker.postMessage({ index, path })
        })
        worker.removeAllListeners('error')
        if (answer.error !== undefined) throw fromFsError(Object.assign(new Error(answer.error.message), { code: answer.error.code }), path)
        results[index] = { sha256: answer.sha256!, size: answer.size! }
      }
    }))
  } finally {
    await Promise.all(workers.map(async (w) => await w.terminate()))
  }
  return results
}
