import { existsSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import { GasError, type ErrorCode } from '../errors.js'
import type { PreviewResult } from './types.js'
import { traceMark } from '../trace.js'
import { compileSynchronouslyInNextWorker } from './worker-compile.js'

/**
 * Worker threads that generate previews beside the main thread, which meanwhile chunks, hashes
 * and packs the content (`gas add`): previews are CPU-bound decoding, ingest is CPU-bound hashing,
 * so on two cores they overlap instead of adding up. One worker per spare core (at least one);
 * idle workers are unref'd so they never keep a process alive. Where the compiled worker is not
 * present (tests run the TypeScript sources), previews are generated in this thread.
 */

interface Job { id: number, path: string, kind: string, format: string, resolve: (r: PreviewResult) => void, reject: (e: unknown) => void }
interface Slot { worker: Worker, job: Job | null, watchdog?: NodeJS.Timeout }

const WORKER_URL = new URL('./worker.js', import.meta.url)
let nextId = 1
const IDLE_WORKER_MS = 10_000

export class PreviewPool {
  private readonly slots: Slot[] = []
  private readonly queue: Job[] = []
  private readonly size: number
  private readonly inThread: boolean

  constructor (size = workerCount()) {
    this.size = size
    this.inThread = !existsSync(fileURLToPath(WORKER_URL))
  }

  async generate (opts: { path: string, kind: string, format: string }): Promise<PreviewResult> {
    // why lazy: the generators (sharp, decoders: ~0.1 CPU s to load) belong in the workers, not in the thread that chunks
    if (this.inThread) return await (await import('./index.js')).generatePreview(opts)
    return await new Promise<PreviewResult>((resolve, reject) => {
      this.queue.push({ id: nextId++, ...opts, resolve, reject })
      this.pump()
    })
  }

  /** Spawns the workers before the first job (idle, unref'd: they never hold the process open). */
  warm (): void {
    if (this.inThread) return
    while (this.slots.length < this.size) {
      const slot = this.spawn()
      slot.worker.unref()
      this.retireWhenIdle(slot)
    }
  }

  /** A worker holds sharp and the decoders (~100 MiB): a long-running process (gas serve) gives it back when idle. */
  private retireWhenIdle (slot: Slot): void {
    if (slot.job !== null) return
    setTimeout(() => {
      const i = this.slots.indexOf(slot)
      if (slot.job === null && i >= 0) { this.slots.splice(i, 1); void slot.worker.terminate() }
    }, IDLE_WORKER_MS).unref()
  }

  private pump (): void {
    while (this.queue.length > 0) {
      let slot = this.slots.find(s => s.job === null)
      if (slot === undefined && this.slots.length < this.size) slot = this.spawn()
      if (slot === undefined) return
      const job = this.queue.shift() as Job
      slot.job = job
      slot.worker.ref()
      slot.worker.postMessage({ id: job.id, path: job.path, kind: job.kind, format: job.format })
      this.watch(slot, job)
    }
  }

  private spawn (): Slot {
    const restore = compileSynchronouslyInNextWorker()
    let worker: Worker
    try { worker = new Worker(WORKER_URL) } catch (err) { restore(); throw err }
    for (const event of ['online', 'error', 'exit']) worker.once(event, restore)
    const slot: Slot = { worker, job: null }
    traceMark('preview worker started')
    worker.on('message', (msg: { id: number, result?: PreviewResult, error?: { code: ErrorCode, message: string, data: Record<string, unknown> } }) => {
      const job = slot.job
      slot.job = null
      clearTimeout(slot.watchdog)
      worker.unref()
      if (job !== null) {
        if (msg.error !== undefined) job.reject(new GasError(msg.error.code, msg.error.message, msg.error.data))
        else job.resolve(msg.result as PreviewResult)
      }
      this.pump()
      this.retireWhenIdle(slot)
    })
    // a worker that dies (out of memory on a hostile file) fails its job, never the process
    worker.on('error', (err) => this.lost(slot, err))
    worker.on('exit', (code) => { if (code !== 0) this.lost(slot, new Error(`preview worker exited with ${code}`)) })
    this.slots.push(slot)
    return slot
  }

  /**
   * A decoder that never finishes on some file (a loop the fuzzers have not found yet) must not
   * hold `gas add` forever: past the job's time limit its worker is stopped, and the asset gets
   * E_NO_PREVIEW saying so (stored with it like any other reason).
   */
  private watch (slot: Slot, job: Job): void {
    const ms = jobTimeoutMs()
    slot.watchdog = setTimeout(() => {
      if (slot.job !== job) return
      const i = this.slots.indexOf(slot)
      if (i >= 0) this.slots.splice(i, 1)
      slot.job = null
      void slot.worker.terminate()
      job.reject(new GasError('E_NO_PREVIEW', `${job.path}: preview generation stopped after ${ms / 1000} s (the ${job.format} decoder did not finish on this file)`, { path: job.path }))
      this.pump()
    }, ms)
    slot.watchdog.unref()
  }

  private lost (slot: Slot, err: Error): void {
    const i = this.slots.indexOf(slot)
    if (i < 0) return
    this.slots.splice(i, 1)
    const job = slot.job
    slot.job = null
    clearTimeout(slot.watchdog)
    if (job !== null) job.reject(GasError.malformedAsset(job.path, `preview generation failed: ${err.message.split('\n')[0]}`))
    this.pump()
  }
}

/** One worker per spare core (at least one); GAS_PREVIEW_WORKERS overrides it (1–16). */
function workerCount (): number {
  const n = Number(process.env.GAS_PREVIEW_WORKERS)
  return Number.isInteger(n) && n >= 1 && n <= 16 ? n : Math.max(1, availableParallelism() - 1)
}

/** How long one preview may take in a worker: 2 minutes (a 512 MiB model takes seconds); GAS_PREVIEW_TIMEOUT_MS overrides it. */
function jobTimeoutMs (): number {
  const n = Number(process.env.GAS_PREVIEW_TIMEOUT_MS)
  return Number.isInteger(n) && n >= 1 ? n : 120_000
}

let shared: PreviewPool | undefined
/** The process's pool, made on first use. */
export function previewPool (): PreviewPool { return (shared ??= new PreviewPool()) }
