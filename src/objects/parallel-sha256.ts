import { createHash, type Hash } from 'node:crypto'
import { Worker } from 'node:worker_threads'

/**
 * Whole-file SHA-256 (the Git LFS oid) on the second core while the main thread chunks and hashes
 * chunks. The worker is inline source so it runs the same from dist/ and under the test runner.
 */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads')
const hash = require('node:crypto').createHash('sha256')
parentPort.on('message', (msg) => {
  if (msg === 'end') { parentPort.postMessage(hash.digest('hex')); return }
  hash.update(msg)
})
`

/** Below this size a worker's start-up costs more than it saves. */
const WORKER_THRESHOLD = 8 * 1024 * 1024

export interface Sha256Sink { update (bytes: Uint8Array): void, digest (): Promise<string>, abort (): void }

export function createSha256Sink (expectedSize: number): Sha256Sink {
  if (expectedSize < WORKER_THRESHOLD) return inlineSink(createHash('sha256'))
  const worker = new Worker(WORKER_SOURCE, { eval: true })
  let failure: Error | undefined
  worker.on('error', (err) => { failure = err })
  return {
    update (bytes) {
      worker.postMessage(bytes) // structured clone copies (~10 GB/s), so the caller keeps its buffer
    },
    async digest () {
      if (failure !== undefined) throw failure
      const result = new Promise<string>((resolve, reject) => {
        worker.once('message', resolve)
        worker.once('error', reject)
      })
      worker.postMessage('end')
      try {
        return await result
      } finally {
        void worker.terminate()
      }
    },
    abort () {
      void worker.terminate()
    }
  }
}

function inlineSink (hash: Hash): Sha256Sink {
  return {
    update (bytes) { hash.update(bytes) },
    async digest () { return hash.digest('hex') },
    abort () {}
  }
}
