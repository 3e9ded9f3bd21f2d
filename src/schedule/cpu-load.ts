import { cpus } from 'node:os'

/**
 * How busy the machine is with other work: the share of all CPU time spent by other programs
 * since the last sample (the machine's busy time from os.cpus() less this process's own, from
 * process.cpuUsage()). A transfer backs off while it stays above the member's threshold, so a
 * person compiling, baking lights or playing the build does not feel it.
 */
export interface CpuSample { busyMs: number, totalMs: number, ownMs: number }

export function sampleCpu (): CpuSample {
  let busy = 0
  let total = 0
  for (const cpu of cpus()) {
    const t = cpu.times
    busy += t.user + t.nice + t.sys + t.irq
    total += t.user + t.nice + t.sys + t.irq + t.idle
  }
  const own = process.cpuUsage()
  return { busyMs: busy, totalMs: total, ownMs: (own.user + own.system) / 1000 }
}

/** Share (0..1) of the CPUs other programs used between two samples. */
export function otherLoad (before: CpuSample, after: CpuSample): number {
  const total = after.totalMs - before.totalMs
  if (total <= 0) return 0
  const others = (after.busyMs - before.busyMs) - (after.ownMs - before.ownMs)
  return Math.min(1, Math.max(0, others / total))
}

/** why: a quarter of the rate is felt by nobody and still moves work forward */
export const BUSY_RATE_FACTOR = 0.25

/** Tracks the load between calls of `update`; `factor` is what the transfer rate is multiplied by. */
export class BusyBackoff {
  readonly #threshold: () => number
  readonly #sample: () => CpuSample
  #last: CpuSample
  load = 0

  constructor (threshold: () => number, sample: () => CpuSample = sampleCpu) {
    this.#threshold = threshold
    this.#sample = sample
    this.#last = sample()
  }

  update (): number {
    const now = this.#sample()
    this.load = otherLoad(this.#last, now)
    this.#last = now
    return this.factor
  }

  get factor (): number {
    return this.load > this.#threshold() ? BUSY_RATE_FACTOR : 1
  }
}
