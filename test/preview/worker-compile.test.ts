import { Worker } from 'node:worker_threads'
import { afterEach, describe, expect, it } from 'vitest'
import { compileSynchronouslyInNextWorker, workersCompilingSynchronously } from '../../src/preview/worker-compile.js'

/** The compile flag is process-wide: it must be put back once every worker created under it is online or gone. */
describe('preview workers compile synchronously', () => {
  const saved = process.env.NODE_OPTIONS
  afterEach(() => { if (saved === undefined) delete process.env.NODE_OPTIONS; else process.env.NODE_OPTIONS = saved })

  it('the flag stays set while any worker is being created, and restoring twice counts once', () => {
    const a = compileSynchronouslyInNextWorker()
    const b = compileSynchronouslyInNextWorker()
    expect(workersCompilingSynchronously()).toBe(2)
    a(); a()
    expect(workersCompilingSynchronously()).toBe(1)
    b()
    expect(workersCompilingSynchronously()).toBe(0)
  })

  it('a worker created under it runs, and the flag is put back when it is online', async () => {
    const restore = compileSynchronouslyInNextWorker()
    const worker = new Worker('const { parentPort } = require("node:worker_threads"); let s = 0; for (let i = 0; i < 1e6; i++) s += i % 7; parentPort.postMessage(s)', { eval: true })
    worker.once('online', restore)
    const result = await new Promise((resolve, reject) => { worker.once('message', resolve); worker.once('error', reject) })
    expect(result).toBe(2999997)
    expect(workersCompilingSynchronously()).toBe(0)
    await worker.terminate()
  })

  it('leaves the flag alone when the process was started with it set either way', () => {
    process.env.NODE_OPTIONS = '--concurrent-recompilation'
    compileSynchronouslyInNextWorker()
    expect(workersCompilingSynchronously()).toBe(0)
  })
})
