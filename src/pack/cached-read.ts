import { linuxLibc } from '../objects/libc.js'

/**
 * Reads what the page cache holds of a range, at once, without ever waiting for the disk:
 * preadv2(2) with RWF_NOWAIT, which copies the cached pages and stops at the first one that is
 * not (EAGAIN when that is the first). Returns the bytes read, and whether they are all there is:
 * the whole buffer, or up to the end of the file.
 *
 * why: a pack read through fs/promises is a trip through libuv's thread pool; on this VM handing
 * the read to a pool thread cost 35–95 µs of the event loop's time per read, more than the
 * 1 MiB copy itself (~45 µs), and its completion came back a turn of the event loop later. A
 * serving peer reads what it serves from packs that are almost always cached (just written or
 * just read); what is not cached is still read through the pool, so the event loop never waits
 * for the disk. By FFI (koffi, prebuilt inside its npm package) because Node has no preadv2.
 */
export type CachedRead = (fd: number, buffer: Buffer, position: number) => { bytes: number, whole: boolean }

const RWF_NOWAIT = 0x08

let loaded: CachedRead | undefined | null = null

const NOTHING_CACHED = { bytes: 0, whole: false }

/**
 * A CachedRead that loads the call when first used (nothing read where it cannot be loaded).
 * why: loading koffi takes ~5 ms; a command that never reads a pack window never pays it.
 */
export const readCachedOnFirstUse: CachedRead = (fd, buffer, position) => {
  const read = loadCachedRead()
  return read === undefined ? NOTHING_CACHED : read(fd, buffer, position)
}

/** The call, loaded once per process; undefined off Linux, without libc.so.6, or with GAS_CACHED_READ=0. */
export function loadCachedRead (): CachedRead | undefined {
  if (loaded !== null) return loaded
  loaded = undefined
  const opened = process.env.GAS_CACHED_READ === '0' ? undefined : linuxLibc()
  if (opened === undefined) return loaded
  const { koffi, lib: libc } = opened
  try {
    // why anonymous: koffi's type names are per process, and a second load of this module (the test
    // runner reloads modules, koffi stays) would find its name taken and lose the call
    const iovec = koffi.struct({ base: 'void *', length: 'size_t' })
    const preadv2 = libc.func('preadv2', 'int64_t', ['int', koffi.pointer(iovec), 'int', 'int64_t', 'int']) as (fd: number, iov: Array<{ base: Buffer, length: number }>, count: number, offset: number, flags: number) => number
    loaded = (fd, buffer, position) => {
      let bytes = 0
      while (bytes < buffer.length) {
        const got = preadv2(fd, [{ base: bytes === 0 ? buffer : buffer.subarray(bytes), length: buffer.length - bytes }], 1, position + bytes, RWF_NOWAIT)
        // 0: the end of the file; -1: not cached from there (EAGAIN), or the kernel cannot (EOPNOTSUPP): the pool reads the rest
        if (got === 0) return { bytes, whole: true }
        if (got < 0) return { bytes, whole: false }
        bytes += got
      }
      return { bytes, whole: true }
    }
  } catch {
    loaded = undefined
  }
  return loaded
}
