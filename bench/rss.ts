import { spawn } from 'node:child_process'
import { readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/**
 * Peak resident memory of a node child process. A preload module records the child's own
 * `process.resourceUsage().maxRSS` (getrusage: the high-water mark of the whole process, worker
 * threads included) in a file as it exits, so any script, `bin/gas` too, can be measured as is.
 */
const PRELOAD = `import { writeFileSync } from 'node:fs'
const out = process.env.GAS_BENCH_RSS_OUT
if (out) process.on('exit', () => writeFileSync(out, JSON.stringify(process.resourceUsage())))
`

export interface ChildRun { peakRssBytes: number, ms: number, code: number | null, stdout: string, stderr: string, /** user + system CPU of the whole process */ cpuSeconds: number }

export async function runNodeWithPeakRss (args: string[], opts: { cwd?: string, env?: NodeJS.ProcessEnv } = {}): Promise<ChildRun> {
  const tag = `gas-bench-rss-${process.pid}-${Math.random().toString(36).slice(2)}`
  const preload = join(tmpdir(), `${tag}.mjs`)
  const out = join(tmpdir(), `${tag}.json`)
  await writeFile(preload, PRELOAD)
  try {
    const start = performance.now()
    const child = spawn(process.execPath, ['--import', preload, ...args], {
      cwd: opts.cwd,
      env: { ...process.env, ...opts.env, GAS_BENCH_RSS_OUT: out },
      stdio: ['ignore', 'pipe', 'pipe']
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (s: string) => { stdout += s })
    child.stderr.setEncoding('utf8').on('data', (s: string) => { stderr += s })
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on('error', reject)
      child.on('close', (c) => resolve(c))
    })
    const ms = performance.now() - start
    const usage = JSON.parse(await readFile(out, 'utf8')) as NodeJS.ResourceUsage
    // maxRSS is in kilobytes (getrusage ru_maxrss on Linux)
    return { peakRssBytes: usage.maxRSS * 1024, ms, code, stdout, stderr, cpuSeconds: (usage.userCPUTime + usage.systemCPUTime) / 1e6 }
  } finally {
    await rm(preload, { force: true })
    await rm(out, { force: true })
  }
}
