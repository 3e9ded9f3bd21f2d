import { readFileSync, readdirSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { formatFigure, type Figure } from './figure.js'
import { rawBetweenProcesses, webrtcBetweenProcesses } from './sync-processes.js'

/**
 * CPU seconds per GiB of each end of a WebRTC transfer between two processes, by thread, next to
 * raw node-datachannel moving the same bytes in the same run: `gas serve --no-direct` against the
 * raw sender, `gas sync` against the raw receiver.
 *
 * why: on a shared 2-core machine the MB/s of the sync figures swing ±50% with other load, while
 * CPU time per GiB hardly moves; and split by thread it says where our cost is. "native" is
 * node-datachannel's own threads (libdatachannel's workers, libjuice's poll: SCTP, DTLS, UDP),
 * which cost the same for raw and gas; "main" is the JS thread; "other" node's thread pool and
 * workers (disk writes, the received-hasher). Linux only (/proc); elsewhere the section is empty.
 */

const GiB = 1024 * 1024 * 1024
const SAMPLE_MS = 50

export interface ThreadCpu { main: number, native: number, other: number }

const NATIVE_THREADS = /^(RTC |juice|SCTP)/

/** CPU seconds so far of each thread of `pid`, by thread id: undefined when the process is gone. */
function threadsOf (pid: number, ticksPerSecond: number): Map<string, { kind: keyof ThreadCpu, seconds: number }> | undefined {
  try {
    const out = new Map<string, { kind: keyof ThreadCpu, seconds: number }>()
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8')
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      const kind = Number(tid) === pid ? 'main' : NATIVE_THREADS.test(name) ? 'native' : 'other'
      out.set(tid, { kind, seconds: (Number(fields[11]) + Number(fields[12])) / ticksPerSecond })
    }
    return out
  } catch {
    return undefined
  }
}

/** The child processes of this one, by pid, with their command lines. */
function children (): Map<number, string> {
  const out = new Map<number, string>()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) !== process.pid) continue
      out.set(Number(entry), readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' '))
    } catch {} // gone meanwhile
  }
  return out
}

/**
 * Runs `work` while sampling the threads of this process's children; returns its result and the
 * CPU of each child whose command line matches a role's pattern (threads that exit early keep
 * their last sample).
 */
async function watchChildren<T> (roles: Record<string, RegExp>, work: () => Promise<T>): Promise<{ result: T, cpu: Record<string, ThreadCpu> }> {
  // USER_HZ is 100 on every Linux that node runs on
  const ticks = 100
  const seen = new Map<number, { role: string, threads: Map<string, { kind: keyof ThreadCpu, seconds: number }> }>()
  const sample = (): void => {
    for (const [pid, cmdline] of children()) {
      const role = Object.keys(roles).find((r) => roles[r].test(cmdline))
      if (role === undefined) continue
      const now = threadsOf(pid, ticks)
      if (now === undefined) continue
      const entry = seen.get(pid) ?? { role, threads: new Map() }
      for (const [tid, t] of now) entry.threads.set(tid, t)
      seen.set(pid, entry)
    }
  }
  const timer = setInterval(sample, SAMPLE_MS)
  let result: T
  try {
    result = await work()
  } finally {
    clearInterval(timer)
  }
  const cpu: Record<string, ThreadCpu> = {}
  for (const { role, threads } of seen.values()) {
    const total = cpu[role] ?? { main: 0, native: 0, other: 0 }
    for (const t of threads.values()) total[t.kind] += t.seconds
    cpu[role] = total
  }
  return { result, cpu }
}

const sum = (c: ThreadCpu | undefined): number => c === undefined ? Number.NaN : c.main + c.native + c.other
const show = (c: ThreadCpu | undefined, perGiB: number): string => c === undefined ? 'n/a' : `main ${(c.main * perGiB).toFixed(2)}, native ${(c.native * perGiB).toFixed(2)}, other ${(c.other * perGiB).toFixed(2)}`

export async function benchWebrtcCpu (workDir: string, opts: { quick?: boolean } = {}): Promise<Figure[]> {
  if (process.platform !== 'linux') return []
  await mkdir(workDir, { recursive: true })
  const bytes = opts.quick === true ? GiB / 8 : GiB
  const perGiB = GiB / bytes
  const raw = await watchChildren({ send: /datachannel-peer\.js send/, receive: /datachannel-peer\.js receive/ }, async () => await rawBetweenProcesses(workDir, bytes, 'raw'))
  // gas's own figure includes node's start, discovery and the handshake (~0.5 s of CPU a side); raw has none of that
  const gas = await watchChildren({ serve: /gas serve/, sync: /gas sync/ }, async () => await webrtcBetweenProcesses(workDir, bytes, raw.result))
  const figure = (side: string, ours: ThreadCpu | undefined, theirs: ThreadCpu | undefined, rawName: string): Figure => ({
    name: `webrtc CPU per GiB between two processes, ${side} (${show(ours, perGiB)}), whole process life`,
    value: sum(ours) * perGiB,
    unit: 's',
    compare: { name: `raw node-datachannel ${rawName}, same run (${show(theirs, perGiB)})`, value: sum(theirs) * perGiB, unit: 's' }
  })
  return [
    figure('gas serve (sender)', gas.cpu.serve, raw.cpu.send, 'sender'),
    figure('gas sync (receiver)', gas.cpu.sync, raw.cpu.receive, 'receiver')
  ]
}

const invokedDirectly = process.argv[1] !== undefined && resolve(process.argv[1]).replace(/\.ts$/, '.js') === fileURLToPath(import.meta.url).replace(/\.ts$/, '.js')
if (invokedDirectly) {
  const { mkdtemp, rm } = await import('node:fs/promises')
  const dir = await mkdtemp(join((await import('node:os')).tmpdir(), 'gas-bench-webrtc-cpu-'))
  try {
    for (const f of await benchWebrtcCpu(dir, { quick: process.argv.includes('--quick') })) console.log(formatFigure(f))
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
  process.exit()
}
