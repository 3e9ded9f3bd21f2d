import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

/**
 * Young-generation collections paced by the bytes a native module hands back in fresh buffers.
 *
 * why: zstd (compression.ts) returns every decoded chunk in a buffer its native side allocates.
 * Callers copy it out at once (write-slabs.ts, file-assembler.ts), so each is garbage as soon as it
 * is made; but V8 starts a collection by the JS heap's own allocation (a few hundred bytes a chunk)
 * or, for such external memory, only after ~64 MiB more of it (a full collection). Measured on a
 * 10 GB restore (bench/big-file-rss.ts): 40–90 MiB of dead decoded chunks at any time. A scavenge
 * every COLLECT_BYTES frees them while they are young, for a fraction of a millisecond each (the
 * young generation holds little else); peak RSS 232 → 205 MiB in the same run.
 * why a flag set at run time: no other API asks V8 for a minor collection; where the flag cannot
 * be set, nothing is collected early and memory is as it was.
 */
const COLLECT_BYTES = 16 * 1024 * 1024

let pending = 0
let minorGc: (() => void) | null | undefined
let gcExposed: GcFunction | null | undefined
type GcFunction = (options?: { type: 'minor' | 'major' }) => void

/** Counts `bytes` just handed back by a native module; every COLLECT_BYTES, a young-generation collection. */
export function noteNativeGarbage (bytes: number): void {
  pending += bytes
  if (pending < COLLECT_BYTES) return
  pending = 0
  if (minorGc === undefined) minorGc = exposeMinorGc()
  minorGc?.()
}

function exposeMinorGc (): (() => void) | null {
  const gc = exposeGc()
  return gc === null ? null : () => gc({ type: 'minor' })
}

function exposeGc (): GcFunction | null {
  if (gcExposed !== undefined) return gcExposed
  try {
    setFlagsFromString('--expose-gc')
    const gc = runInNewContext('gc') as GcFunction
    gcExposed = typeof gc === 'function' ? gc : null
  } catch {
    gcExposed = null
  }
  return gcExposed
}

/**
 * A full collection now, once a phase that left much garbage behind is over (`gas add`'s walk of
 * 200 000 files: its folder listings, ignore-rule cache and case-folding map). why: V8 sizes its
 * next collection by the heap it last found live, so that garbage, left to a later collection,
 * let the heap grow to ~1.5× its size before one came (peak RSS +~60 MiB). Where the flag cannot
 * be set, nothing happens.
 */
export function collectGarbageNow (): void {
  exposeGc()?.({ type: 'major' })
}
