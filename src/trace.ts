/**
 * `GAS_TRACE=1`: one line on stderr per step of a command (`gas-trace PID EPOCH_MS +MS LABEL`), so
 * a run across processes (add, commit, serve, sync) lines up into one timeline (bench/e2e.ts
 * prints it). Steps only, never per block: off, a mark costs one boolean test.
 */
const enabled = process.env.GAS_TRACE === '1'

export function traceMark (label: string): void {
  if (!enabled) return
  const rel = performance.now()
  process.stderr.write(`gas-trace ${process.pid} ${(performance.timeOrigin + rel).toFixed(1)} +${rel.toFixed(1)} ${label}\n`)
}

export function tracing (): boolean {
  return enabled
}
