import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { GAS_BIN } from '../test/helpers/cli.js'

/** CPU seconds (user + system) a live process has used so far, from /proc (clock ticks of 1/100 s). */
export async function cpuSecondsOf (pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8')
  // the command name in parentheses may hold spaces: fields are counted after its closing parenthesis
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) / 100
}

/** The peak resident memory of a live process so far (VmHWM), in bytes. */
export async function peakRssOf (pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  return Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1]) * 1024
}

export interface Timed { ms: number, cpuSeconds: number, peakRssBytes: number, stdout: string, stderr: string, code: number | null }

/** A preload that records the child's getrusage as it exits: CPU seconds and peak RSS of any node script, bin/gas too. */
export const USAGE_PRELOAD = `import { writeFileSync } from 'node:fs'
const out = process.env.GAS_BENCH_USAGE_OUT
if (out) process.on('exit', () => writeFileSync(out, JSON.stringify(process.resourceUsage())))
`

/** Runs `gas ARGS` in `cwd`; fails unless it exits 0. */
export async function gasTimed (cwd: string, args: string[], preload: string): Promise<Timed> {
  const out = join(tmpdir(), `gas-bench-usage-${process.pid}-${Math.random().toString(36).slice(2)}.json`)
  const start = performance.now()
  const child = spawn(process.execPath, ['--import', preload, GAS_BIN, ...args], { cwd, env: { ...process.env, GAS_BENCH_USAGE_OUT: out }, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (s: string) => { stdout += s })
  child.stderr.setEncoding('utf8').on('data', (s: string) => { stderr += s })
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
  const ms = performance.now() - start
  if (code !== 0) throw new Error(`gas ${args.join(' ')} exited ${code}: ${stderr.slice(0, 500)}`)
  const usage = JSON.parse(readFileSync(out, 'utf8')) as NodeJS.ResourceUsage
  await rm(out, { force: true })
  return { ms, cpuSeconds: (usage.userCPUTime + usage.systemCPUTime) / 1e6, peakRssBytes: usage.maxRSS * 1024, stdout, stderr, code }
}
