import { readFileSync } from 'node:fs'

/**
 * A preload (`node --import`) that samples a process's memory twice a second into
 * `$GAS_BENCH_MEMORY_TRACE/<pid>.jsonl`: rss beside what V8 and node account for (heap used,
 * ArrayBuffers, external). When rss grows and those do not, the growth is native (malloc arenas,
 * a native module); when arrayBuffers grows, it is Buffers held from JS.
 */
export const MEMORY_TRACE_PRELOAD = `import { appendFileSync } from 'node:fs'
const dir = process.env.GAS_BENCH_MEMORY_TRACE
if (dir) {
  const out = dir + '/' + process.pid + '.jsonl'
  const t0 = Date.now()
  appendFileSync(out, JSON.stringify({ argv: process.argv.slice(2) }) + '\\n')
  const sample = () => {
    const m = process.memoryUsage()
    appendFileSync(out, JSON.stringify({ s: (Date.now() - t0) / 1000, rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers }) + '\\n')
  }
  setInterval(sample, 500).unref()
  process.on('exit', sample)
}
`

export interface MemorySample { s: number, rss: number, heapUsed: number, heapTotal: number, external: number, arrayBuffers: number }

/** The samples of one traced process. */
export function readMemoryTrace (file: string): MemorySample[] {
  return readFileSync(file, 'utf8').split('\n').filter((l) => l.startsWith('{"s"')).map((l) => JSON.parse(l) as MemorySample)
}

/** One line: rss, heap, ArrayBuffers and external at the sample of highest rss, and at a quarter, half and the end of the run. */
export function describeMemoryTrace (samples: MemorySample[]): string {
  if (samples.length === 0) return 'no samples'
  const MiB = 2 ** 20
  // why the two derived figures: external beyond node's ArrayBuffers is buffers a native module made (zstd's decoded chunks,
  // freed only when collected); what rss holds beyond the heap and external is code, threads and malloc's own heap
  const at = (m: MemorySample): string => `${m.s.toFixed(0)} s: rss ${(m.rss / MiB).toFixed(0)}, heap ${(m.heapUsed / MiB).toFixed(0)}/${(m.heapTotal / MiB).toFixed(0)}, arrayBuffers ${(m.arrayBuffers / MiB).toFixed(0)}, external ${(m.external / MiB).toFixed(0)} (native ${(Math.max(0, m.external - m.arrayBuffers) / MiB).toFixed(0)}), rest ${(Math.max(0, m.rss - m.heapTotal - m.external) / MiB).toFixed(0)} MiB`
  const peak = samples.reduce((a, b) => (b.rss > a.rss ? b : a))
  const pick = (f: number): MemorySample => samples[Math.min(samples.length - 1, Math.floor(samples.length * f))]
  return `peak at ${at(peak)} | ${[0.25, 0.5, 1].map((f) => at(pick(f))).join(' | ')}`
}
