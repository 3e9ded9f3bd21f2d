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
 * Streams a readable source through the worker and yields each chunk's id and bytes, in order.
 * `read(into)` fills a slot and returns how many bytes it read (0 at the end); `onData` sees every
 * byte once, in order (for the whole-file SHA-256 on this thread). Yielded bytes are valid only
 * until the next iteration: the slot they live in is then reused.
 */
export async function * cutInParallel (read: (into: Buffer) => Promise<number>, onData: (bytes: Buffer) => void): AsyncGenerator<CutChunk> {
  const worker = ChunkWorker.take()
  const slots = worker.slots
  let clean = false

  // Slots in stream order: index, offset of its first byte in the stream, length, and which post it was
  const inUse: Array<{ slot: number, start: number, length: number, post: number }> = []
  const free = Array.from({ length: SLOT_COUNT }, (_, i) => i)
  let readOffset = 0
  let consumed = 0
  let posted = 0
  let answered = 0
  let eof = false

  const postRead = async (): Promise<void> => {
    const slot = free.shift()!
    const length = await read(slots[slot])
    eof = length === 0 || length < SLOT_BYTES
    inUse.push({ slot, start: readOffset, length, post: posted })
    readOffset += length
    // the worker starts cutting while this thread hashes the same bytes (both only read them)
    worker.post(slot, length, eof, posted === 0)
    posted++
    onData(slots[slot].subarray(0, length))
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
    // Keep all but two slots busy reading ahead: one is being consumed, one may hold a chunk's head.
    while (!eof && free.length > 2) await postRead()
    while (answered < posted) {
      const answer = await worker.next()
      answered++
      if (answer.error !== undefined) throw new GasError('E_IO', `chunking failed: ${answer.error}`)
      const { ids = [], lengths = [] } = answer
      for (let i = 0; i < lengths.length; i++) {
        const bytes = bytesAt(consumed, lengths[i])
        yield { id: ids[i] === undefined || ids[i] === '' ? hashObject('chunk', bytes) : ids[i], bytes }
        consumed += lengths[i]
      }
      // a slot whose every byte is in a yielded chunk goes back to the pool
      while (inUse.length > 0 && inUse[0].post < answered && inUse[0].start + inUse[0].length <= consumed) free.push(inUse.shift()!.slot)
      while (!eof && free.length > 2) await postRead()
    }
    clean = eof
  } finally {
    // a worker given nothing holds no state (and stopping one still starting can stall this thread)
    worker.release(clean || posted === 0)
  }
}
