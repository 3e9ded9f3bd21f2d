import { GasError } from '../errors.js'
import { ChunkWorker, SLOT_BYTES, SLOT_COUNT } from './chunk-worker.js'
import { hashObject } from './id.js'

export { SLOT_BYTES }

/**
 * FastCDC on a second core (chunk-worker.ts). The caller reads a file into the worker's shared
 * slots; the worker cuts the very same bytes (no second read that could see a file changing
 * underneath) and answers with the chunk lengths, in order, and the ids of most of them; this
 * thread hashes the rest and the whole file. Its cuts are chunkStream's (chunker.ts).
 */
export interface CutChunk { id: string, bytes: Buffer }

/**
 * Fills `into` with the source's bytes from `position` on and returns how many it read: fewer than
 * `into.length` only at the end of the source.
 */
export type ReadAt = (into: Buffer, position: number) => Promise<number>

interface Reading { slot: number, start: number, length?: number, error?: unknown }
interface Posted { slot: number, start: number, length: number, post: number }

/**
 * Streams a readable source through the worker and yields each chunk's id and bytes, in order.
 * `onData` sees every byte once, in order (for the whole-file SHA-256 on this thread). Yielded
 * bytes are valid only until the next iteration: the slot they live in is then reused.
 *
 * why reads stay in flight while this thread works: awaiting each 2 MiB read before going on left
 * this thread waiting on the thread pool for 0.7–0.9 s of a 1 GiB `gas add` (measured), time in
 * which neither it hashed nor the worker got new bytes. Reads now run ahead into every free slot
 * at their own positions, and this thread handles whichever comes first: a read done (in stream
 * order) or an answer from the worker.
 */
export async function * cutInParallel (read: ReadAt, onData: (bytes: Buffer) => void): AsyncGenerator<CutChunk> {
  const worker = ChunkWorker.take()
  const slots = worker.slots
  let clean = false

  const reading: Reading[] = []
  const inUse: Posted[] = []
  const free = Array.from({ length: SLOT_COUNT }, (_, i) => i)
  let nextReadAt = 0
  let consumed = 0
  let posted = 0
  let answered = 0
  let eof = false

  let wake: (() => void) | undefined
  const fire = (): void => { const w = wake; wake = undefined; w?.() }

  const startReads = (): void => {
    while (!eof && free.length > 0) {
      const r: Reading = { slot: free.shift()!, start: nextReadAt }
      nextReadAt += SLOT_BYTES
      reading.push(r)
      read(slots[r.slot], r.start).then((n) => { r.length = n }, (err) => { r.error = err ?? new Error('read failed') }).finally(fire)
    }
  }

  /** Hands finished reads to the worker, in stream order; a read past the end only frees its slot. */
  const postReads = (): void => {
    while (reading.length > 0 && (reading[0].length !== undefined || reading[0].error !== undefined)) {
      const r = reading.shift()!
      if (r.error !== undefined) throw r.error
      if (eof) { free.push(r.slot); continue }
      const length = r.length!
      eof = length < SLOT_BYTES
      inUse.push({ slot: r.slot, start: r.start, length, post: posted })
      // the worker starts cutting while this thread hashes the same bytes (both only read them)
      worker.post(r.slot, length, eof, posted === 0)
      posted++
      onData(slots[r.slot].subarray(0, length))
    }
  }

  /** The bytes [offset, offset+length) of the stream: a view when in one slot, a copy across two. */
  const bytesAt = (offset: number, length: number): Buffer => {
    const first = inUse.findIndex((s) => offset < s.start + s.length)
    const a = inUse[first]
    const from = offset - a.start
    if (from + length <= a.length) return slots[a.slot].subarray(from, from + length)
    const b = inUse[first + 1]
    // Buffer#fill copies through memcpy; concat would copy out of the shared ring word by word
    const joined = Buffer.allocUnsafe(length)
    joined.fill(slots[a.slot].subarray(from, a.length), 0, a.length - from)
    joined.fill(slots[b.slot].subarray(0, length - (a.length - from)), a.length - from)
    return joined
  }

  try {
    startReads()
    for (;;) {
      postReads()
      const answer = worker.poll()
      if (answer !== undefined) {
        answered++
        if (answer.error !== undefined) throw new GasError('E_IO', `chunking failed: ${answer.error}`)
        const { ids = [], lengths = [] } = answer
        for (let i = 0; i < lengths.length; i++) {
          const bytes = bytesAt(consumed, lengths[i])
          yield { id: ids[i] === undefined || ids[i] === '' ? hashObject('chunk', bytes) : ids[i], bytes }
          consumed += lengths[i]
        }
        // a slot whose every byte is in a yielded chunk goes back to the pool, and is read into at once
        while (inUse.length > 0 && inUse[0].post < answered && inUse[0].start + inUse[0].length <= consumed) free.push(inUse.shift()!.slot)
        startReads()
        continue
      }
      if (eof && answered === posted && reading.length === 0) break
      await new Promise<void>((resolve) => {
        wake = resolve
        worker.notifyOnce(fire)
      })
    }
    clean = true
  } finally {
    // a read still in flight writes into its slot: the slots are only reused (or let go) after it
    while (reading.length > 0) {
      const r = reading[0]
      if (r.length === undefined && r.error === undefined) await new Promise<void>((resolve) => { wake = resolve })
      else reading.shift()
    }
    // a worker given nothing holds no state (and stopping one still starting can stall this thread)
    worker.release(clean || posted === 0)
  }
}
