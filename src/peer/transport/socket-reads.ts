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
  readonly option: { buffer: Buffer, callback: (bytes: number, buffer: Buffer) => boolean }
  #listener: ((data: Buffer) => void) | undefined
  /** reads before anyone listened (copied: the buffer is reused) */
  #early: Buffer[] = []

  constructor (bytes = READ_BUFFER_BYTES) {
    this.option = {
      buffer: Buffer.allocUnsafe(bytes),
      callback: (n, buffer) => {
        const data = buffer.subarray(0, n)
        if (this.#listener !== undefined) this.#listener(data)
        else this.#early.push(Buffer.from(data))
        return true
      }
    }
  }

  /** From now on each read goes to `listener` (what arrived before goes first); its bytes are valid only during the call. */
  listen (listener: (data: Buffer) => void): void {
    this.#listener = listener
    for (const data of this.#early.splice(0)) listener(data)
  }
}
