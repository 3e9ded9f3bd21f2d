import { createRequire } from 'node:module'

/**
 * Copies byte ranges from one open file to another inside the kernel (copy_file_range(2)), on the
 * thread pool; `ranges` holds [inOffset, outOffset, length] triples. Resolves with the bytes copied.
 * A rejection carries the errno name as `code` (EXDEV, ENOSYS, …; EOF when the input ends early).
 */
export interface RangedCopy {
  copyRanges: (inFd: number, outFd: number, ranges: Float64Array) => Promise<number>
  /** the whole-file restore of native/restore-chunks.c (see there); absent where the addon found no crc32 */
  restoreChunks?: RestoreChunks['restoreChunks']
  locateChunks?: RestoreChunks['locateChunks']
  allocate?: RestoreChunks['allocate']
}

/**
 * Writes chunks [from, to) of a manifest's `entries` into `outFd` from the packs `locs` names
 * ([fd, entry offset, crc32] per chunk), each entry checked against its crc32; sets each chunk's
 * `status` (0 written, 1 or 2 left to the caller) and resolves with the bytes written. `stop[0]`
 * set to 1 stops it at its next span (rejecting with ECANCELED).
 */
export interface RestoreChunks {
  restoreChunks: (outFd: number, entries: Uint8Array, locs: Float64Array, status: Uint8Array, from: number, to: number, outOffset: number, spanBytes: number, stop: Int32Array) => Promise<number>
  /**
   * Places each chunk of `entries` that `locs` does not yet place (fd < 0) found in one pack's index
   * tables (pack-index.ts) as [fd, offset, crc32]; returns how many it placed. Synchronous.
   */
  /** fallocate(2) of the file's first `length` bytes: true when done, false where the filesystem does not offer it; throws (errno as `code`) when it cannot (ENOSPC) */
  allocate?: (fd: number, length: number) => boolean
  locateChunks?: (entries: Uint8Array, fanout: Uint32Array, ids: Uint8Array, offsets: Uint8Array, crcs: Uint8Array, fd: number, locs: Float64Array) => number
}

/** The environment variable that turns the native copy off (`GAS_NATIVE_COPY=0`): the portable path, for comparison or a suspect kernel. */
export const NATIVE_COPY_ENV = 'GAS_NATIVE_COPY'

/**
 * Errors by which a kernel or filesystem says it will not copy these two files (not that something
 * is wrong with them): EXDEV (different filesystems), ENOSYS (no such call), EOPNOTSUPP/ENOTSUP,
 * EINVAL (a filesystem that refuses the arguments). The caller writes the same bytes itself then.
 */
const REFUSALS = new Set(['EXDEV', 'ENOSYS', 'EOPNOTSUPP', 'ENOTSUP', 'EINVAL'])

export function isCopyRefused (err: unknown): boolean {
  return REFUSALS.has((err as { code?: unknown } | null)?.code as string)
}

let loaded: RangedCopy | null | undefined

/**
 * The addon native/ranged-copy.c, built by the package's own install step (native/build.mjs), or undefined:
 * when it did not build (no compiler), was never built (npm 11 runs no install script of a
 * dependency), or is turned off by GAS_NATIVE_COPY=0. Callers then take the portable path, with the
 * same result. Loaded once, on first use.
 */
export function nativeRangedCopy (): RangedCopy | undefined {
  if (process.env[NATIVE_COPY_ENV] === '0') return undefined
  if (loaded === undefined) {
    loaded = null
    const require = createRequire(import.meta.url)
    // dist/src/objects and dist/min/objects are three folders below the package root; src/objects (tests) two
    for (const root of ['../../..', '../..']) {
      try {
        const binding = require(`${root}/native/gas_ranged_copy.node`) as Partial<RangedCopy>
        if (typeof binding.copyRanges === 'function') loaded = binding as RangedCopy
        break
      } catch {}
    }
  }
  return loaded ?? undefined
}
