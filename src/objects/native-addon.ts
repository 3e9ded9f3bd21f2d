import { createRequire } from 'node:module'

/**
 * The addon native/restore-chunks.c (with crc32.c): restore and checkout's loop in C. See there for
 * what each function checks; native-restore.ts drives them.
 */
export interface NativeRestore {
  /**
   * Writes chunks [from, to) of a manifest's `entries` (id [32] | length u32 BE each) into `outFd`
   * from the packs `locs` names ([fd, entry offset, crc32] per chunk, fd < 0: not there), each entry
   * checked against its crc32; sets each chunk's `status` (0 written, 1 or 2 left to the caller)
   * and resolves with the bytes written. `stop[0]` set to 1 stops it at its next span (ECANCELED).
   * A failed read or write rejects with the errno name as `code`.
   */
  restoreChunks: (outFd: number, entries: Uint8Array, locs: Float64Array, status: Uint8Array, from: number, to: number, outOffset: number, spanBytes: number, stop: Int32Array) => Promise<number>
  /** Places each chunk that `locs` does not place yet and one pack's index tables (pack-index.ts) hold, as [fd, offset, crc32]; returns how many. Synchronous. */
  locateChunks?: (entries: Uint8Array, fanout: Uint32Array, ids: Uint8Array, offsets: Uint8Array, crcs: Uint8Array, fd: number, locs: Float64Array) => number
  /** fallocate(2) of the file's first `length` bytes: true when done, false where the filesystem does not offer it; throws (errno as `code`) when it cannot (ENOSPC) */
  allocate?: (fd: number, length: number) => boolean
}

/** The environment variable that turns the addon off (`GAS_NATIVE_COPY=0`): the portable path, for comparison or a suspect platform. */
export const NATIVE_COPY_ENV = 'GAS_NATIVE_COPY'

let loaded: NativeRestore | null | undefined

/**
 * The addon, built by the package's own install step (native/build.mjs), or undefined: when it did
 * not build (no compiler), was never built (npm 11 runs no install script of a dependency), or is
 * turned off by GAS_NATIVE_COPY=0. Callers then take the portable path, with the same result.
 * Loaded once, on first use.
 */
export function nativeAddon (): NativeRestore | undefined {
  if (process.env[NATIVE_COPY_ENV] === '0') return undefined
  if (loaded === undefined) {
    loaded = null
    const require = createRequire(import.meta.url)
    // dist/src/objects and dist/min/objects are three folders below the package root; src/objects (tests) two
    for (const root of ['../../..', '../..']) {
      try {
        const binding = require(`${root}/native/gas_native.node`) as Partial<NativeRestore>
        if (typeof binding.restoreChunks === 'function') loaded = binding as NativeRestore
        break
      } catch {}
    }
  }
  return loaded ?? undefined
}
