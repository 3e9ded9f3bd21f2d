import type { FrameLease } from './transport.js'
import type { SharedFrames } from './shared-frames.js'

/** why: buffers kept for reuse; a steady transfer has a few frames in the verify backlog at once, and more would only hold memory */
export const MAX_SPARE_FRAMES = 8

/**
 * Receive buffers of one size for frames gathered across reads, reused once every holder of the
 * frame has let go (FrameLease). A frame nobody held is left to the garbage collector. With
 * `shared` (of the same size), frames come from its shared memory first (shared-frames.ts).
 */
export class FramePool {
  readonly frameBytes: number
  readonly #spare: Buffer[] = []
  readonly #shared: SharedFrames | undefined

  constructor (frameBytes: number, shared?: SharedFrames) {
    this.frameBytes = frameBytes
    this.#shared = shared?.frameBytes === frameBytes ? shared : undefined
  }

  /** A buffer of `frameBytes` and the lease that returns it; call `delivered()` once the listeners have run. */
  take (): PooledFrame {
    const shared = this.#shared?.take()
    if (shared !== undefined) return new PooledFrame(shared, this.#spare, this.#shared)
    return new PooledFrame(this.#spare.pop() ?? Buffer.allocUnsafeSlow(this.frameBytes), this.#spare)
  }

  clear (): void {
    this.#spare.length = 0
  }
}

export class PooledFrame implements FrameLease {
  readonly buffer: Buffer
  readonly #spare: Buffer[]
  readonly #shared: SharedFrames | undefined
  /** the transport's own hold while it delivers, plus the listeners' */
  #holds = 1
  #held = false

  constructor (buffer: Buffer, spare: Buffer[], shared?: SharedFrames) {
    this.buffer = buffer
    this.#spare = spare
    this.#shared = shared
  }

  hold (): () => void {
    // a hold after the last release (a listener outside its frame's delivery) must not return the buffer twice
    if (this.#holds === 0) return () => {}
    this.#held = true
    this.#holds++
    let released = false
    return () => {
      if (released) return
      released = true
      this.#drop()
    }
  }

  /** The transport is done delivering the frame. */
  delivered (): void {
    this.#drop()
  }

  #drop (): void {
    if (--this.#holds > 0) return
    // a frame nobody held may still be seen through a view: never reused (a shared one is retired)
    if (this.#shared !== undefined) {
      if (this.#held) this.#shared.give(this.buffer)
      else this.#shared.retire(this.buffer)
      return
    }
    if (this.#held && this.#spare.length < MAX_SPARE_FRAMES) this.#spare.push(this.buffer)
  }
}
