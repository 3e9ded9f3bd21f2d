import { BATCH_ENTRY_HEADER_BYTES, BATCH_HEADER_BYTES, LARGE_BATCH_ENTRY_HEADER_BYTES, MAX_BATCH_ENTRIES, encodeMessage, type BlockMessage } from './messages.js'
import { MAX_FRAME } from '../transport/transport.js'

/**
 * why: a fragment smaller than this carries fewer bytes than the 49-byte entry header around it
 * would justify; the frame is sent as it is and the object starts in the next one (≤ 0.4% unused)
 */
export const MIN_PACKED_FRAGMENT_BYTES = 256

export interface PackedFrame {
  frame: Uint8Array
  /** the fragments in the frame, for the ledger */
  blocks: BlockMessage[]
}

/**
 * Fills frames with BLOCK fragments of consecutive objects: the data channel is limited by
 * messages per second, so a frame that carries the tail of one object and the head of the next
 * moves more bytes than two part-filled ones. The caller cuts each fragment to `room` and sends
 * `take()` when the frame is full or it has nothing more to add right now.
 * Frames are at most `maxFrame` bytes: MAX_FRAME as BATCH, more (a stream transport to a peer
 * that said 'large-frames') as LARGE_BATCH, whose entries hold a whole chunk.
 */
export class FramePacker {
  #maxFrame = MAX_FRAME
  #entryHeader = BATCH_ENTRY_HEADER_BYTES
  #blocks: BlockMessage[] = []
  /** frame size as a BATCH with the fragments added so far */
  #size = BATCH_HEADER_BYTES

  get empty (): boolean { return this.#blocks.length === 0 }
  get maxFrame (): number { return this.#maxFrame }
  /** the most bytes `take()` encodes now (a lone fragment as BLOCK takes fewer) */
  get frameBytes (): number { return this.#size }

  /** Sets the frame limit for the frames to come; only while empty, so a frame never mixes both. */
  setMaxFrame (maxFrame: number): void {
    if (!this.empty || maxFrame === this.#maxFrame) return
    this.#maxFrame = maxFrame
    this.#entryHeader = maxFrame > MAX_FRAME ? LARGE_BATCH_ENTRY_HEADER_BYTES : BATCH_ENTRY_HEADER_BYTES
  }

  /** payload bytes the next fragment may carry in this frame (0 when no further entry fits) */
  get room (): number {
    if (this.#blocks.length >= MAX_BATCH_ENTRIES) return 0
    return Math.max(0, this.#free())
  }

  /**
   * Whether the frame must be sent before a fragment of an object with `left` bytes to go is
   * added: no entry fits, or only a sliver of an object that does not end in it.
   * `full(Infinity)`: full for anything but a tiny object.
   */
  full (left: number): boolean {
    if (this.#blocks.length >= MAX_BATCH_ENTRIES) return true
    const free = this.#free()
    return free < 0 || (free < left && free < MIN_PACKED_FRAGMENT_BYTES)
  }

  #free (): number {
    return this.#maxFrame - this.#size - this.#entryHeader
  }

  /** Adds a fragment of at most `room` bytes; call `full` first. */
  add (block: BlockMessage): void {
    this.#blocks.push(block)
    this.#size += this.#entryHeader + block.bytes.byteLength
  }

  /**
   * Encodes what was added as one frame and starts a new one: a lone fragment that leaves room
   * goes as a plain BLOCK, anything else as a BATCH. why: a full frame is then exactly MAX_FRAME
   * bytes, the whole of the caller's scratch buffer, which a copying transport takes as it is
   * (as a BLOCK it was 5 bytes short, and webrtc-polyfill copied a part-used buffer once more:
   * a quarter of all frames, ~17 MB/s of garbage on the serving side).
   */
  take (into?: Uint8Array): PackedFrame | undefined {
    const blocks = this.#blocks
    if (blocks.length === 0) return undefined
    const lone = blocks.length === 1 && this.#free() > 0
    this.#blocks = []
    this.#size = BATCH_HEADER_BYTES
    const batch = this.#maxFrame > MAX_FRAME ? { type: 'LARGE_BATCH' as const, blocks } : { type: 'BATCH' as const, blocks }
    const frame = encodeMessage(lone ? blocks[0] : batch, into, this.#maxFrame)
    return { frame, blocks }
  }

  clear (): void {
    this.#blocks = []
    this.#size = BATCH_HEADER_BYTES
  }
}
