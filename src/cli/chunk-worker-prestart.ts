import { statSync } from 'node:fs'
import { PARALLEL_THRESHOLD } from '../objects/parallel-threshold.js'

/**
 * `gas add BIG_FILE`: starts the chunking worker (objects/chunk-worker.ts) before the command's
 * modules load, so its start overlaps theirs. Only for a named regular file the worker will cut
 * (a folder or small files would start a thread for nothing); a path that cannot be read is left
 * to the command to report.
 */
export async function prestartChunkWorker (argv: string[]): Promise<void> {
  if (argv[0] !== 'add') return
  const big = argv.slice(1).some((arg) => {
    if (arg.startsWith('-')) return false
    try {
      const st = statSync(arg, { throwIfNoEntry: false })
      return st !== undefined && st.isFile() && st.size >= PARALLEL_THRESHOLD
    } catch {
      return false
    }
  })
  if (big) (await import('../objects/chunk-worker.js')).ChunkWorker.prestart()
}
