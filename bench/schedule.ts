import { spawn } from 'node:child_process'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as gas from '../src/index.js'
import { writeRandomFile } from '../test/fixtures/project.js'
import { SimulatedLink } from '../src/peer/simulated-link.js'
import { TransferLimits } from '../src/peer/transfer-limits.js'
import { setSchedule } from '../src/schedule/schedule-settings.js'
import { pseudoRandomBytes } from '../test/net/helpers.js'
import type { Figure } from './figure.js'
import { fetchFrom, LINK_BUFFER, seedRepo } from './sync.js'

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
  figures.push(await windowUtilisation(workDir, opts.quick ? 64 : 256).catch((err: Error) => failed('utilisation in an open window', err)))
  return figures
}

/**
 * The scheduler's machinery must cost no capacity: both ends follow a schedule whose window is
 * open with no limit (every frame through the limits' buckets), over a simulated 25 MB/s link
 * with 20 ms round trips; share of the capacity the whole sync used.
 */
async function windowUtilisation (workDir: string, mib: number): Promise<Figure> {
  const bandwidth = 25 * MB
  const dir = await mkdtemp(join(workDir, 'window-'))
  const ws = await gas.init({ dir, name: 'window', previewer: async () => [] })
  await setSchedule(ws, { windows: ['daily 00:00-24:00 UTC'] })
  const limits = await TransferLimits.start(ws)
  try {
    const seed = await seedRepo(dir, 'seed', pseudoRandomBytes('window', mib * 2 ** 20))
    const [near, far] = SimulatedLink.pair({ bandwidth, latencyMs: 10, highWaterMark: LINK_BUFFER })
    const run = await fetchFrom(dir, [seed], [[limits.throttle(near), limits.throttle(far)]])
    const share = run.bytes / run.seconds / bandwidth * 100
    // the same sync without the limits' buckets, same run: what the link gives with no scheduler at all
    const [plainNear, plainFar] = SimulatedLink.pair({ bandwidth, latencyMs: 10, highWaterMark: LINK_BUFFER })
    const plain = await fetchFrom(dir, [seed], [[plainNear, plainFar]])
    const plainShare = plain.bytes / plain.seconds / bandwidth * 100
    return { name: `schedule: utilisation of a 25 MB/s, 20 ms RTT simulated link inside an open window, no limit (${mib} MiB, both ends through the limits)`, value: share, unit: '%', compare: { name: 'same sync without the limits', value: plainShare, unit: '%' }, floor: '>= 95%', pass: share >= 95 }
  } finally {
    limits.close()
    await ws.close()
  }
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
