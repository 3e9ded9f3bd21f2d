import { linuxLibc } from './libc.js'

/**
 * The two Linux calls that let a writer hand written pages back to the kernel: start (and wait
 * for) writeback of a range, then drop the now clean range from the page cache. Run on koffi's
 * worker threads, so the event loop never waits for the disk.
 *
 * why by FFI (koffi, prebuilt for every platform inside its npm package): Node exposes neither
 * sync_file_range(2) nor posix_fadvise(2), and a native addon of our own would need a compiler at
 * install time. Where the calls cannot be loaded (another OS, no libc.so.6), `loadPageCacheCalls`
 * returns undefined and writers simply leave their pages to the kernel, as before.
 */
export interface PageCacheCalls {
  /** sync_file_range(fd, offset, length, WAIT_BEFORE | WRITE | WAIT_AFTER): the range is on disk when it resolves */
  writeBack: (fd: number, offset: number, length: number) => Promise<void>
  /** sync_file_range(fd, offset, length, WRITE): writeback of the range starts, nothing is waited for */
  startWriteBack: (fd: number, offset: number, length: number) => Promise<void>
  /** posix_fadvise(fd, offset, length, POSIX_FADV_DONTNEED): clean pages of the range leave the page cache */
  dropCached: (fd: number, offset: number, length: number) => Promise<void>
}

const SYNC_FILE_RANGE_WAIT_BEFORE = 1
const SYNC_FILE_RANGE_WRITE = 2
const SYNC_FILE_RANGE_WAIT_AFTER = 4
const POSIX_FADV_DONTNEED = 4

type AsyncCall = (fd: number, offset: number, length: number, flags: number, done: (err: unknown, result: number) => void) => void

let loaded: PageCacheCalls | undefined | null = null

/** The calls, loaded once per process; undefined where this platform has none (or GAS_DROP_BEHIND=0 turns them off). */
export function loadPageCacheCalls (): PageCacheCalls | undefined {
  if (loaded !== null) return loaded
  loaded = undefined
  if (process.env.GAS_DROP_BEHIND === '0') return loaded
  const libc = linuxLibc()?.lib
  if (libc === undefined) return loaded
  try {
    const syncFileRange = libc.func('int sync_file_range(int fd, int64_t offset, int64_t nbytes, unsigned int flags)').async as AsyncCall
    const fadvise = libc.func('int posix_fadvise(int fd, int64_t offset, int64_t len, int advice)').async as AsyncCall
    // sync_file_range reports failure as -1 (errno); posix_fadvise returns the error number itself
    const call = (fn: AsyncCall, what: string, fd: number, offset: number, length: number, flags: number): Promise<void> =>
      new Promise((resolve, reject) => fn(fd, offset, length, flags, (err, result) => {
        if (err !== null && err !== undefined) reject(err)
        else if (result !== 0) reject(new Error(`${what} failed (${result})`))
        else resolve()
      }))
    loaded = {
      writeBack: (fd, offset, length) => call(syncFileRange, 'sync_file_range', fd, offset, length, SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER),
      startWriteBack: (fd, offset, length) => call(syncFileRange, 'sync_file_range', fd, offset, length, SYNC_FILE_RANGE_WRITE),
      dropCached: (fd, offset, length) => call(fadvise, 'posix_fadvise', fd, offset, length, POSIX_FADV_DONTNEED)
    }
  } catch {
    loaded = undefined
  }
  return loaded
}
