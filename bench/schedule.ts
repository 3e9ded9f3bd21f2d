import { spawn } from 'node:child_process'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as gas from '../src/index.js'
import { writeRandomFile } from '../test/fixtures/project.js'
import type { Figure } from './figure.js'

const MB = 1e6
const GAS_BIN = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'gas')

/**
 * Scheduling figures (issue 13), measured as users run gas: `gas serve` with a schedule whose
 * window is open at a rate, `gas sync --once` fetching from it over WebRTC on 127.0.0.1.
 * The achieved rate is the payload over the fetch time `gas sync --json` reports.
 */
export async function benchSchedule (workDir: string, opts: { quick: boolean }): Promise<Figure[]> {
  const seconds = opts.quick ? 6 : 30
  const figures: Figure[] = []
  for (const limit of [5 * MB, 20 * MB]) {
    figures.push(await throttleAccuracy(workDir, limit, seconds).catch((err: Error) => failed(`throttle at ${limit / MB} MB/s`, err)))
  }
  return figures
}

function failed (name: string, err: Error): Figure {
  process.stderr.write(`schedule: ${name} failed: ${err.stack ?? err.message}\n`)
  return { name: `schedule: ${name}`, value: NaN, unit: '%', pass: false }
}

async function throttleAccuracy (workDir: string, limit: number, seconds: number): Promise<Figure> {
  const bytes = Math.round(limit * seconds)
  const root = await mkdtemp(join(workDir, 'throttle-'))
  const seedDir = join(root, 'seed')
  const fetchDir = join(root, 'fetch')
  await mkdir(seedDir, { recursive: true })
  await mkdir(fetchDir, { recursive: true })
  const tracker = await gas.startTracker({ port: 0, host: '127.0.0.1' })
  const seed = await gas.init({ dir: seedDir, name: 'seed', team: 'bench', previewer: async () => [] })
  seed.config = { ...seed.config, trackers: [tracker.url] }
  await seed.saveConfig()
  await writeRandomFile(join(seedDir, 'build.pak'), bytes, `throttle-${limit}`)
  await gas.add(seed, { paths: [seedDir] })
  await gas.commit(seed, { message: 'build' })
  const me = await gas.init({ dir: fetchDir, name: 'me' })
  await gas.joinTeam(me, JSON.stringify(await gas.createInvite(seed, { publicKey: me.identity.publicKey, name: 'me', roles: ['qa'] })))
  await seed.close()
  await me.close()
  // the sender's window is open all day at the limit; --busy-cpu 100: the fetcher beside it must not count as "busy"
  const set = await runGas(seedDir, ['schedule', 'set', `daily 00:00-24:00 UTC ${limit}B/s`, '--busy-cpu', '100'])
  if (set.status !== 0) throw new Error(`gas schedule set failed: ${set.stderr}`)
  const server = spawn(process.execPath, [GAS_BIN, 'serve'], { cwd: seedDir, stdio: ['ignore', 'ignore', 'pipe'] })
  try {
    await new Promise<void>((resolve, reject) => {
      server.stderr.on('data', (d: Buffer) => { if (d.toString().includes('serving')) resolve() })
      server.on('exit', (code) => reject(new Error(`gas serve exited with ${code}`)))
    })
    const sync = await runGas(fetchDir, ['sync', '--once', '--json'])
    const result = JSON.parse(sync.stdout) as { fetched: { bytes: number }, missing: number, seconds: { fetch: number } }
    if (result.missing > 0 || result.fetched.bytes < bytes) throw new Error(`gas sync fetched ${result.fetched.bytes} of ${bytes} bytes: ${sync.stderr.slice(0, 300)}`)
    const rate = result.fetched.bytes / result.seconds.fetch
    const share = rate / limit * 100
    return {
      name: `schedule: throttle accuracy, gas serve limited to ${limit / MB} MB/s → gas sync over WebRTC, ${(bytes / MB).toFixed(0)} MB (${seconds} s)`,
      value: share,
      unit: '% of the limit',
      compare: { name: 'achieved rate', value: rate / MB, unit: 'MB/s' },
      floor: '95–102%',
      pass: share >= 95 && share <= 102
    }
  } finally {
    server.kill('SIGTERM')
    await tracker.close()
    await rm(root, { recursive: true, force: true })
  }
}

async function runGas (cwd: string, args: string[]): Promise<{ status: number | string, stdout: string, stderr: string }> {
  const child = spawn(process.execPath, [GAS_BIN, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d })
  child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d })
  const status = await new Promise<number | string>((resolve) => child.on('close', (code, signal) => resolve(code ?? signal ?? 'unknown')))
  return { status, stdout, stderr }
}
