import { GasError } from '../../errors.js'

/**
 * Byte cursors for wire codecs. `FrameReader` checks every length before it reads and throws
 * E_FRAME_LENGTH on a short read; `end()` throws on trailing bytes, so a decoder accepts exactly
 * one encoding of each message.
 */

/** Object ids: 32-byte SHA-256, raw on the wire, 64-char lower-case hex in TypeScript. */
export const ID_BYTES = 32
const HEX_ID = /^[0-9a-f]{64}$/

export function isHexId (value: unknown, bytes = ID_BYTES): value is string {
  if (typeof value !== 'string') return false
  if (bytes === ID_BYTES) return HEX_ID.test(value)
  return value.length === bytes * 2 && /^[0-9a-f]*$/.test(value)
}

const utf8Decoder = new TextDecoder('utf-8', { fatal: true })
const utf8Encoder = new TextEncoder()

export function utf8 (text: string): Uint8Array {
  return utf8Encoder.encode(text)
}

export class FrameWriter {
  readonly bytes: Uint8Array
  #view: DataView
  offset = 0

  /** `into`: write into the start of this buffer (at least `size` bytes) instead of a new one */
  constructor (size: number, into?: Uint8Array) {
    this.bytes = into === undefined ? new Uint8Array(size) : into.subarray(0, size)
    this.#view = new DataView(this.bytes.buffer, this.bytes.byteOffset, size)
  }

  u8 (n: number): void {
    this.#view.setUint8(this.offset, n)
    this.offset += 1
  }

  u16 (n: number): void {
    this.#view.setUint16(this.offset, n)
    this.offset += 2
  }

  u32 (n: number): void {
    this.#view.setUint32(this.offset, n)
    this.offset += 4
  }

  raw (bytes: Uint8Array): void {
    this.bytes.set(bytes, this.offset)
    this.offset += bytes.byteLength
  }

  /** Writes a hex id as raw bytes; the caller has validated it with `isHexId`. */
  id (hex: string): void {
    this.raw(Buffer.from(hex, 'hex'))
  }
}

export class FrameReader {
  readonly bytes: Uint8Array
  #view: DataView
  offset = 0

  constructor (bytes: Uint8Array) {
    this.bytes = bytes
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  }

  get remaining (): number { return this.bytes.byteLength - this.offset }

  #need (n: number, what: string): void {
    if (this.remaining < n) throw GasError.frameLength(`${what} needs ${n} bytes, ${this.remaining} left`)
  }

  u8 (what = 'u8'): number {
    this.#need(1, what)
    return this.#view.getUint8(this.offset++)
  }

  u16 (what = 'u16'): number {
    this.#need(2, what)
    const n = this.#view.getUint16(this.offset)
    this.offset += 2
    return n
  }

  u32 (what = 'u32'): number {
    this.#need(4, what)
    const n = this.#view.getUint32(this.offset)
    this.offset += 4
    return n
  }

  /** A view into the frame, not a copy. */
  raw (n: number, what = 'bytes'): Uint8Array {
    this.#need(n, what)
    const out = this.bytes.subarray(this.offset, this.offset + n)
    this.offset += n
    return out
  }

  id (what = 'object id'): string {
    return Buffer.from(this.raw(ID_BYTES, what)).toString('hex')
  }

  text (n: number, what = 'text'): string {
    const bytes = this.raw(n, what)
    try {
      return utf8Decoder.decode(bytes)
    } catch {
      throw GasError.protocol(`${what} is not valid UTF-8`)
    }
  }

  rest (): Uint8Array {
    return this.raw(this.remaining)
  }

  end (): void {
    if (this.remaining !== 0) throw GasError.frameLength(`${this.remaining} trailing bytes`)
  }
}
