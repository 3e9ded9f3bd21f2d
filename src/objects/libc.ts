import { createRequire } from 'node:module'

/** koffi and the C library it opened, for the few calls Node has no binding for (aligned memory, preadv2, sync_file_range, fadvise). */
export interface Libc {
  koffi: typeof import('koffi')
  lib: ReturnType<typeof import('koffi')['load']>
}

let opened: Libc | undefined | null = null

/**
 * The C library through koffi (FFI, prebuilt inside its npm package), opened once per process;
 * undefined off Linux or where it cannot be loaded. Callers keep their own fallback for that case.
 */
export function linuxLibc (): Libc | undefined {
  if (opened !== null) return opened
  opened = undefined
  if (process.platform !== 'linux') return opened
  try {
    const koffi = createRequire(import.meta.url)('koffi') as typeof import('koffi')
    opened = { koffi, lib: koffi.load('libc.so.6') }
  } catch {
    opened = undefined
  }
  return opened
}
