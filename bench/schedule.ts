import { spawn } from 'node:child_process'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as gas from '../src/index.js'
import { writeRandomFile } from '../test/fixtures/project.js'
import { SimulatedLink } from '../src/peer/transport/simulated-link.js'
import { TransferLimits } from '../src/peer/transport/transfer-limits.js'
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
  figures.push(await urgentBesideBulk(workDir, opts.quick ? 64 : 256).catch((err: Error) => failed('gas fetch beside a saturating transfer', err)))
  return figures
}

interface Pair { root: string, seedDir: string, fetchDir: string, tracker: Awaited<ReturnType<typeof gas.startTracker>> }

/** A lead (`seed`) with `files` committed, and a member (`fetch`) of `role` who joined. */
async function pairOf (workDir: string, name: string, role: string, files: Array<{ path: string, bytes: number }>): Promise<Pair & { commit: (more: Array<{ path: string, bytes: number }>) => Promise<void> }> {
  const root = await mkdtemp(join(workDir, `${name}-`))
  const seedDir = join(root, 'seed')
  const fetchDir = join(root, 'fetch')
  await mkdir(seedDir, { recursive: true })
  await mkdir(fetchDir, { recursive: true })
  const tracker = await gas.startTracker({ port: 0, host: '127.0.0.1' })
  const seed = await gas.init({ dir: seedDir, name: 'seed', team: 'bench', previewer: async () => [] })
  seed.config = { ...seed.config, trackers: [tracker.url] }
  await seed.saveConfig()
  for (const file of files) await writeRandomFile(join(seedDir, file.path), file.bytes, `${name}-${file.path}`)
  await gas.add(seed, { paths: [seedDir] })
  await gas.commit(seed, { message: name })
  const me = await gas.init({ dir: fetchDir, name: 'me' })
  await gas.joinTeam(me, JSON.stringify(await gas.createInvite(seed, { publicKey: me.identity.publicKey, name: 'me', roles: [role] })))
  await seed.close()
  await me.close()
  const commit = async (more: Array<{ path: string, bytes: number }>): Promise<void> => {
    const ws = await gas.open({ dir: seedDir, previewer: async () => [] })
    for (const file of more) await writeRandomFile(join(seedDir, file.path), file.bytes, `${name}-${file.path}`)
    await gas.add(ws, { paths: more.map((f) => join(seedDir, f.path)) })
    await gas.commit(ws, { message: `${name} more` })
    await ws.close()
  }
  return { root, seedDir, fetchDir, tracker, commit }
}

async function startServe (dir: string, args: string[] = []): Promise<ReturnType<typeof spawn>> {
  const server = spawn(process.execPath, [GAS_BIN, 'serve', ...args], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] })
  await new Promise<void>((resolve, reject) => {
    server.stderr.on('data', (d: Buffer) => { if (d.toString().includes('serving')) resolve() })
    server.on('exit', (code) => reject(new Error(`gas serve exited with ${code}`)))
  })
  return server
}

/**
 * "Urgent work never waits behind a big transfer": a tester (qa) syncs a big build from a lead
 * whose upload is limited to 5 MB/s, saturating it; a few seconds in, the same tester asks for
 * a 200 KiB texture with `gas fetch`. Seconds from starting `gas fetch` to its exit (node's
 * start, finding the peer and the handshake included).
 */
async function urgentBesideBulk (workDir: string, mib: number): Promise<Figure> {
  // the tester has the version that lists hero.png (a texture: not a tester's content), then the lead commits a big build
  const pair = await pairOf(workDir, 'urgent', 'qa', [{ path: 'hero.png', bytes: 200 * 1024 }])
  const first = await startServe(pair.seedDir)
  const synced = await runGas(pair.fetchDir, ['sync', '--once'])
  first.kill('SIGTERM')
  if (synced.status !== 0) throw new Error(`the first gas sync failed: ${synced.stderr.slice(0, 300)}`)
  await pair.commit([{ path: 'game.exe', bytes: mib * 2 ** 20 }])
  const set = await runGas(pair.seedDir, ['schedule', 'set', `daily 00:00-24:00 UTC ${5 * MB}B/s`, '--busy-cpu', '100'])
  if (set.status !== 0) throw new Error(`gas schedule set failed: ${set.stderr}`)
  const server = await startServe(pair.seedDir)
  const bulk = spawn(process.execPath, [GAS_BIN, 'sync', '--once', '--json'], { cwd: pair.fetchDir, stdio: ['ignore', 'ignore', 'ignore'] })
  try {
    await new Promise((resolve) => setTimeout(resolve, 5000))
    const started = performance.now()
    const fetched = await runGas(pair.fetchDir, ['fetch', 'hero.png', '--json'])
    const seconds = (performance.now() - started) / 1000
    if (fetched.status !== 0) throw new Error(`gas fetch failed: ${fetched.stderr.slice(0, 300)}`)
    const written = (JSON.parse(fetched.stdout) as { written: string[] }).written
    if (!written.includes('hero.png')) throw new Error(`gas fetch did not write hero.png: ${fetched.stdout.slice(0, 300)}`)
    return { name: `schedule: gas fetch of a 200 KiB asset while a ${mib} MiB transfer saturates the sender's 5 MB/s limit (whole command)`, value: seconds, unit: 's', floor: '<= 1 s', pass: seconds <= 1 }
  } finally {
    bulk.kill('SIGKILL')
    server.kill('SIGTERM')
    await pair.tracker.close()
    await rm(pair.root, { recursive: true, force: true })
  }
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
  const { root, seedDir, fetchDir, tracker } = await pairOf(workDir, 'throttle', 'lead', [{ path: 'build.pak', bytes }])
  // the sender's window is open all day at the limit; --busy-cpu 100: the fetcher beside it must not count as "busy"
  const set = await runGas(seedDir, ['schedule', 'set', `daily 00:00-24:00 UTC ${limit}B/s`, '--busy-cpu', '100'])
  if (set.status !== 0) throw new Error(`gas schedule set failed: ${set.stderr}`)
  // the floor is on WebRTC: without --no-direct the pair would sync over the TCP path
  const server = await startServe(seedDir, ['--no-direct'])
  try {
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
