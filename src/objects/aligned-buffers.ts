import { linuxLibc } from './libc.js'

/** why 4096: O_DIRECT wants buffer addresses, lengths and file offsets in multiples of the device's logical block (512 here, 4096 on many disks) */
export const DIRECT_ALIGNMENT = 4096

/**
 * Buffers whose memory starts on a DIRECT_ALIGNMENT boundary, for writes with O_DIRECT
 * (direct-file.ts), kept for reuse: `take` one, `give` it back once its write is done.
 *
 * why by FFI (aligned_alloc through koffi, seen through koffi.view): Node gives no way to ask for,
 * or learn, the address of a Buffer's memory. The memory is never freed (a view of it could
 * outlive the free): what is made is what the busiest moment needed (a few files of a sync with
 * two or three batches each), reused from then on.
 */
export class AlignedBuffers {
  readonly #spare: Buffer[] = []
  /** what this pool made: only those come back to it (a buffer from elsewhere is not aligned) */
  readonly #made = new WeakSet<Buffer>()
  constructor (readonly bytes: number, private readonly allocate: (bytes: number) => Buffer | undefined = alignedAlloc) {
    if (bytes % DIRECT_ALIGNMENT !== 0) throw new RangeError(`aligned buffers hold a multiple of ${DIRECT_ALIGNMENT} bytes`)
  }

  /** a buffer of `bytes`, or undefined where aligned memory cannot be had */
  take (): Buffer | undefined {
    const spare = this.#spare.pop()
    if (spare !== undefined) return spare
    const made = this.allocate(this.bytes)
    if (made !== undefined) this.#made.add(made)
    return made
  }

  /** A buffer `take` gave is free again (its write is done); any other buffer is left to the garbage collector. */
  give (buffer: Buffer): void {
    if (this.#made.has(buffer)) this.#spare.push(buffer)
  }
}

let libcAlloc: ((alignment: number, bytes: number) => unknown) | undefined | null = null
let view: ((pointer: unknown, bytes: number) => ArrayBuffer) | undefined
let adviseHuge: ((pointer: unknown, bytes: number) => void) | undefined

/** why: a transparent huge page (x86-64: 2 MiB) */
const HUGE_PAGE = 2 * 1024 * 1024
/** madvise's MADV_HUGEPAGE (Linux) */
const MADV_HUGEPAGE = 14

/** `bytes` of memory aligned to DIRECT_ALIGNMENT, never freed; undefined where it cannot be had */
export function alignedAlloc (bytes: number): Buffer | undefined {
  if (libcAlloc === null) {
    libcAlloc = undefined
    const libc = linuxLibc()
    try {
      if (libc !== undefined) {
        libcAlloc = libc.lib.func('void *aligned_alloc(size_t alignment, size_t size)') as (alignment: number, bytes: number) => unknown
        view = (pointer, length) => libc.koffi.view(pointer, length)
        const madvise = libc.lib.func('int madvise(void *addr, size_t length, int advice)') as (pointer: unknown, bytes: number, advice: number) => number
        adviseHuge = (pointer, length) => { madvise(pointer, length, MADV_HUGEPAGE) }
      }
    } catch {
      libcAlloc = undefined
    }
  }
  if (libcAlloc === undefined || view === undefined) return undefined
  try {
    // why huge pages for a batch of 2 MiB or more: an O_DIRECT write pins every page of its buffer
    // (4 KiB pages: 512 per MiB, the pool threads' top kernel cost in a fetch), and the copies into
    // the batch miss the TLB less; aligned and advised so the kernel can back it with 2 MiB pages
    // GAS_HUGE_PAGES=0 turns them off (A/B runs)
    const huge = bytes >= HUGE_PAGE && adviseHuge !== undefined && process.env.GAS_HUGE_PAGES !== '0'
    const pointer = huge ? libcAlloc(HUGE_PAGE, Math.ceil(bytes / HUGE_PAGE) * HUGE_PAGE) : libcAlloc(DIRECT_ALIGNMENT, bytes)
    if (pointer === null) return undefined
    if (huge) {
      try {
        adviseHuge?.(pointer, Math.ceil(bytes / HUGE_PAGE) * HUGE_PAGE)
      } catch { /* small pages then */ }
    }
    return Buffer.from(view(pointer, bytes))
  } catch {
    return undefined
  }
}
