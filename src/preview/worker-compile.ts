import { setFlagsFromString } from 'node:v8'

/**
 * Preview workers compile their hot loops synchronously. A worker runs a few dozen short,
 * numeric decoders once each (an OBJ scan, a TGA box sum, a WAV level pass); with V8's default
 * concurrent compilation they run slow unoptimised code while background threads compile them,
 * often more than once as each new file reaches another branch, and those threads take the
 * cores `gas add` chunks on. Compiled in the worker itself, the 40 previews of the mock project
 * (bench/preview.ts) took ~15% less CPU in all (1036 → 885 ms, median of five).
 *
 * V8 reads the flag when it creates an isolate, and flags are process-wide: it is set just for
 * the creation of the worker's isolate and put back once the worker is online, so the main
 * thread and other workers keep concurrent compilation. Left alone when the process was started
 * with the flag set either way.
 */
const FLAG = 'concurrent-recompilation'
const userChose = (): boolean => [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].some(a => a.includes(FLAG))

let spawning = 0

/** Workers being created with the flag set now (0: the process runs with V8's default again). */
export function workersCompilingSynchronously (): number { return spawning }

/** Call before `new Worker`; call the returned function (once is enough, more are ignored) when the worker is online or gone. */
export function compileSynchronouslyInNextWorker (): () => void {
  if (userChose()) return () => {}
  if (spawning++ === 0) setFlagsFromString(`--no-${FLAG}`)
  let done = false
  return () => {
    if (done) return
    done = true
    if (--spawning === 0) setFlagsFromString(`--${FLAG}`)
  }
}
