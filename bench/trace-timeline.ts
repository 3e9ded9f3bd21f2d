/**
 * The timeline of an end-to-end run (bench/e2e.ts with GAS_TRACE=1): the `gas-trace` lines each
 * process printed (src/trace.ts), merged by their wall-clock stamps, as seconds since the run
 * started and milliseconds since the line before. Lines that are not trace marks are ignored.
 */
export interface TraceEvent { at: number, who: string, label: string }

const TRACE_LINE = /^gas-trace \d+ ([\d.]+) \+[\d.]+ (.*)$/

export function traceEvents (who: string, stderr: string): TraceEvent[] {
  const events: TraceEvent[] = []
  for (const line of stderr.split('\n')) {
    const m = TRACE_LINE.exec(line.trim())
    if (m !== null) events.push({ at: Number(m[1]), who, label: m[2] })
  }
  return events
}

export function formatTimeline (startEpochMs: number, events: TraceEvent[]): string[] {
  let previous = startEpochMs
  return [...events].sort((a, b) => a.at - b.at).map((e) => {
    const line = `${((e.at - startEpochMs) / 1000).toFixed(3).padStart(7)} ${`+${(e.at - previous).toFixed(0)}`.padStart(6)}  ${e.who.padEnd(6)} ${e.label}`
    previous = e.at
    return line
  })
}
