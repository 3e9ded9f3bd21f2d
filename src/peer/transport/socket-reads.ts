/** why 64 KiB: a TLS read is one record (16 KiB at most), a plain TCP read up to what the kernel holds; a bigger buffer only holds memory */
export const READ_BUFFER_BYTES = 64 * 1024

/**
 * A socket's reads delivered through `onread` (net.connect, tls.connect): the socket reads into
 * one buffer of ours, reused for every read, and calls back, instead of emitting a fresh Buffer
 * per read through the stream machinery. Pass `option` as the socket's `onread`, then the reads
 * to the StreamTransport, which copies what it keeps (a read's bytes are valid only during the call).
 *
 * why: a fetch over TLS arrives in 16 KiB records, ~33 000 per 512 MiB; as 'data' events each
 * cost an allocation and a trip through Readable (measured, bare TLS, 512 MiB: 390–405 ms of
 * receiving CPU with 'data', 250–280 with onread), on the thread that limits the fetch.
 */
export class SocketReads {
  readonly option: { buffer: () => Buffer, callback: (bytes: number, buffer: Buffer) => boolean }
  /** reads that went straight into a buffer `target` gave (for tests and figures) */
  readsInPlace = 0
  readonly #own: Buffer
  #listener: ((data: Buffer, inPlace: boolean) => void) | undefined
  #target: (() => Buffer | undefined) | undefined
  /** reads before anyone listened (copied: the buffer is reused) */
  #early: Buffer[] = []

  constructor (bytes = READ_BUFFER_BYTES) {
    this.#own = Buffer.allocUnsafe(bytes)
    this.option = {
      // node asks before each read (after the last one was called back) where it goes
      buffer: () => this.#target?.() ?? this.#own,
      callback: (n, buffer) => {
        const data = buffer.subarray(0, n)
        const inPlace = buffer !== this.#own
        if (inPlace) this.readsInPlace++
        if (this.#listener !== undefined) this.#listener(data, inPlace)
        else this.#early.push(Buffer.from(data))
        return true
      }
    }
  }

  /**
   * From now on each read goes to `listener` (what arrived before goes first); its bytes are valid
   * only during the call, unless `inPlace`: then they were read into the buffer `target` gave for
   * that read. why `target`: a large frame arriving over many reads is read straight into its own
   * buffer (TLS decrypts into it) instead of being copied there from ours: one memcpy of every
   * received byte fewer, on the thread that limits the fetch.
   */
  listen (listener: (data: Buffer, inPlace: boolean) => void, target?: () => Buffer | undefined): void {
    this.#listener = listener
    this.#target = target
    for (const data of this.#early.splice(0)) listener(data, false)
  }
}
