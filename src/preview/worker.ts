import { parentPort } from 'node:worker_threads'
import { GasError } from '../errors.js'
import { generatePreview } from './index.js'

/** A preview worker: generates one preview per message and answers with the result or a typed error. */
parentPort?.on('message', (job: { id: number, path: string, kind: string, format: string }) => {
  generatePreview(job).then(result => {
    // copied, not transferred: sharp's output may share its ArrayBuffer with other buffers
    parentPort?.postMessage({ id: job.id, result })
  }, (err: unknown) => {
    const e = err instanceof GasError ? err : GasError.malformedAsset(job.path, `cannot read ${job.format} ${job.kind}: ${String((err as Error)?.message ?? err).split('\n')[0]}`)
    parentPort?.postMessage({ id: job.id, error: { code: e.code, message: e.message, data: e.data } })
  })
})
