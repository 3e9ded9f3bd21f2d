import { spawn, type ChildProcess } from 'node:child_process'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { createInterface } from 'node:readline'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as gas from '../src/index.js'
import { writeRandomFile } from '../test/fixtures/project.js'
import type { Figure } from './figure.js'
import { cpuSecondsOf, peakRssOf } from './process-usage.js'
import { runNodeWithPeakRss } from './rss.js'

const MB = 1e6
const GiB = 2 ** 30
const MiB = 2 ** 20

/** One end-to-end run: the rate, and each end's CPU per GiB moved (which load inflates little, unlike wall-clock rates) */
interface RunFigures { rate: number, senderCpuPerGiB: number, receiverCpuPerGiB: number, senderPeakRss?: number, receiverPeakRss?: number }
const here = dirname(fileURLToPath(import.meta.url))
const GAS_BIN = resolve(here, '..', '..', 'bin', 'gas')

/**
 * The direct path as users run it: `gas serve` in one process, `gas sync --once` in another, each
 * with its on-disk store, peers found through a tracker on 127.0.0.1 (the serve's address comes in
 * its tracker answer). Compared in the same run with a bare TLS 1.3 stream between two node
 * processes with SHA-256 on the receiving side (the ceiling: floor ≥ 0.7×), and with the same
 * sync over WebRTC (`gas serve --no-direct`: floor ≥ 3×). The bare stream and the direct sync
 * run alternately, `rounds` times each (default 3), and the best of each counts. why: on this VM
 * one run of either moved by ±15 % from one minute to the next (fresh memory, host load); the
 * best of alternated runs compares the two at their best under the same conditions.
 */
export async function benchTcp (workDir: string, opts: { quick: boolean, rounds?: number }): Promise<Figure[]> {
  // why 1 GiB: the size issue 21's floors name; GAS_BENCH_TCP_MIB sets another for A/B runs
  const bytes = (opts.quick ? 64 : Number(process.env.GAS_BENCH_TCP_MIB ?? 1024)) * 1024 * 1024
  const root = await mkdtemp(join(workDir, 'tcp-'))
  const tracker = await gas.startTracker({ port: 0, host: '127.0.0.1' })
  try {
    const seedDir = join(root, 'seed')
    await mkdir(seedDir, { recursive: true })
    const seed = await gas.init({ dir: seedDir, name: 'seed', team: 'bench', previewer: async () => [] })
    seed.config = { ...seed.config, trackers: [tracker.url] }
    await seed.saveConfig()
    await writeRandomFile(join(seedDir, 'build.pak'), bytes, 'tcp')
    await gas.add(seed, { paths: [seedDir] })
    await gas.commit(seed, { message: 'build' })
    const member = async (name: string): Promise<string> => {
      const dir = join(root, name)
      await mkdir(dir, { recursive: true })
      const ws = await gas.init({ dir, name })
      await gas.joinTeam(ws, JSON.stringify(await gas.createInvite(seed, { publicKey: ws.identity.publicKey, name, roles: ['lead'] })))
      await ws.close()
      return dir
    }
    const rounds = opts.rounds ?? (opts.quick ? 1 : 3)
    const tcpDirs: string[] = []
    for (let round = 0; round < rounds; round++) tcpDirs.push(await member(`tcp-${round}`))
    const webrtcDir = await member('webrtc')
    await seed.close()

    let bare: RunFigures | undefined
    let tcp: RunFigures | undefined
    for (let round = 0; round < rounds; round++) {
      const bareRun = await bareTls(bytes)
      const tcpRun = await syncRate(seedDir, tcpDirs[round], ['--listen', '127.0.0.1:0'], bytes, 'tcp')
      process.stderr.write(`tcp: round ${round + 1}: bare TLS ${bareRun.rate.toFixed(0)} MB/s, direct sync ${tcpRun.rate.toFixed(0)} MB/s\n`)
      if (bare === undefined || bareRun.rate > bare.rate) bare = bareRun
      if (tcp === undefined || tcpRun.rate > tcp.rate) tcp = tcpRun
    }
    if (bare === undefined || tcp === undefined) throw new Error('tcp: no round ran')
    const webrtc = await syncRate(seedDir, webrtcDir, ['--no-direct'], bytes, 'webrtc')
    const disk = await durableWriteRate(join(seedDir, 'build.pak'), root, bytes)
    const size = `${(bytes / 2 ** 20).toFixed(0)} MiB`
    const cpu = (what: string, run: RunFigures, end: 'sender' | 'receiver'): Figure => ({
      name: `tcp: CPU of the ${end} per GiB, ${what}`,
      value: end === 'sender' ? run.senderCpuPerGiB : run.receiverCpuPerGiB,
      unit: 's/GiB',
      compare: { name: `bare TLS ${end}`, value: end === 'sender' ? bare.senderCpuPerGiB : bare.receiverCpuPerGiB, unit: 's/GiB' }
    })
    return [
      { name: `tcp: bare TLS 1.3 stream between two processes, SHA-256 on the receiver (${size}, best of ${rounds})`, value: bare.rate, unit: 'MB/s' },
      { name: `tcp: sync of ${size} over the direct path (gas serve → gas sync --once, on-disk stores, best of ${rounds} alternated with the bare stream)`, value: tcp.rate, unit: 'MB/s', compare: { name: 'bare TLS 1.3 + SHA-256, same run, best of the same rounds', value: bare.rate, unit: 'MB/s' }, floor: '>= 0.7x bare TLS', pass: tcp.rate >= 0.7 * bare.rate },
      { name: `tcp: sync of ${size} over the direct path vs WebRTC`, value: tcp.rate, unit: 'MB/s', compare: { name: 'the same sync over WebRTC (gas serve --no-direct), same run', value: webrtc.rate, unit: 'MB/s' }, floor: '>= 3x WebRTC', pass: tcp.rate >= 3 * webrtc.rate },
      { name: `tcp: what the disk makes durable of ${size} written twice at once (dd, O_DIRECT + fdatasync: a sync's pack and file)`, value: disk, unit: 'MB/s', compare: { name: 'the sync over the direct path, same run (it writes both and flushes)', value: tcp.rate, unit: 'MB/s' } },
      cpu('gas serve while serving the direct sync', tcp, 'sender'),
      cpu('gas sync --once over the direct path (whole process: start, fetch, checkout)', tcp, 'receiver'),
      cpu('gas serve while serving the WebRTC sync', webrtc, 'sender'),
      cpu('gas sync --once over WebRTC (whole process)', webrtc, 'receiver'),
      { name: `tcp: peak RSS of gas serve / gas sync over the direct path (${size})`, value: (tcp.senderPeakRss ?? NaN) / MiB, unit: 'MiB', compare: { name: 'gas sync', value: (tcp.receiverPeakRss ?? NaN) / MiB, unit: 'MiB' } }
    ]
  } finally {
    await tracker.close()
    await rm(root, { recursive: true, force: true })
  }
}

/** MB/s of the sync's fetch as `gas sync --json` reports it, after checking which transport carried it. */
async function syncRate (seedDir: string, fetchDir: string, serveArgs: string[], bytes: number, transport: 'tcp' | 'webrtc'): Promise<RunFigures> {
  const server = spawn(process.execPath, [...profile('GAS_BENCH_PROFILE_SERVE'), GAS_BIN, 'serve', ...serveArgs], { cwd: seedDir, stdio: ['ignore', 'ignore', 'pipe'] })
  try {
    await new Promise<void>((resolve, reject) => {
      let said = ''
      server.stderr.on('data', (d: Buffer) => {
        said += d.toString()
        if (said.includes('serving') && (transport === 'webrtc' || said.includes('listening'))) resolve()
      })
      server.on('exit', (code) => reject(new Error(`gas serve exited with ${code}: ${said}`)))
    })
    const serveCpuBefore = await cpuSecondsOf(server.pid ?? -1)
    const sync = await runNodeWithPeakRss([...profile('GAS_BENCH_PROFILE_SYNC'), GAS_BIN, 'sync', '--once', '--json'], { cwd: fetchDir })
    const serveCpu = await cpuSecondsOf(server.pid ?? -1) - serveCpuBefore
    const servePeakRss = await peakRssOf(server.pid ?? -1)
    if (sync.code !== 0) throw new Error(`gas sync exited with ${String(sync.code)}: ${sync.stderr.slice(0, 300)}`)
    const result = JSON.parse(sync.stdout) as { fetched: { bytes: number }, missing: number, seconds: { fetch: number }, routes: Array<{ transport: string }> }
    if (result.missing > 0 || result.fetched.bytes < bytes) throw new Error(`gas sync fetched ${result.fetched.bytes} of ${bytes} bytes`)
    if (result.routes[0]?.transport !== transport) throw new Error(`gas sync went over ${result.routes[0]?.transport ?? 'nothing'}, not ${transport}`)
    return {
      rate: result.fetched.bytes / result.seconds.fetch / MB,
      senderCpuPerGiB: serveCpu / (bytes / GiB),
      receiverCpuPerGiB: sync.cpuSeconds / (bytes / GiB),
      senderPeakRss: servePeakRss,
      receiverPeakRss: sync.peakRssBytes
    }
  } finally {
    server.kill('SIGTERM')
  }
}

/**
 * MB/s of `bytes` at which this disk makes two copies durable, written at once: what a sync must
 * do with what it receives (its pack and the file checked out) before it may apply refs. The bare
 * TLS stream writes nothing; on a disk slower than the network this, not the stream, bounds a
 * sync. dd from the seed's file (random bytes, in the page cache), 4 MiB O_DIRECT writes, fdatasync.
 */
async function durableWriteRate (source: string, dir: string, bytes: number): Promise<number> {
  const started = performance.now()
  const copies = [join(dir, 'durable-1'), join(dir, 'durable-2')]
  const results = await Promise.all(copies.map(async (out) => await run(spawn('dd', [`if=${source}`, `of=${out}`, 'bs=4M', 'oflag=direct', 'conv=fdatasync'], { stdio: ['ignore', 'ignore', 'pipe'] }))))
  const seconds = (performance.now() - started) / 1000
  await Promise.all(copies.map(async (out) => await rm(out, { force: true })))
  const failed = results.find((r) => r.status !== 0)
  if (failed !== undefined) throw new Error(`dd failed: ${failed.stderr.slice(0, 300)}`)
  return bytes / seconds / MB
}

/** The bare TLS stream between two processes of its own (bench/tls-peer.ts). */
async function bareTls (bytes: number): Promise<RunFigures> {
  const peer = join(here, 'tls-peer.js')
  const sender = spawn(process.execPath, [peer, 'send', String(bytes)], { stdio: ['ignore', 'pipe', 'inherit'] })
  try {
    const lines = createInterface({ input: sender.stdout })
    const senderCpu = new Promise<number>((resolve) => lines.on('line', (line) => { if (line.startsWith('CPU ')) resolve(Number(line.slice(4))) }))
    const port = await new Promise<string>((resolve, reject) => {
      lines.once('line', (line) => resolve(line.replace('PORT ', '')))
      sender.once('exit', (code) => reject(new Error(`TLS sender exited with ${code}`)))
    })
    const receiver = await run(spawn(process.execPath, [peer, 'receive', String(bytes), port], { stdio: ['ignore', 'pipe', 'inherit'] }))
    const rate = Number(/RATE ([0-9.]+)/.exec(receiver.stdout)?.[1])
    if (!(rate > 0)) throw new Error(`bare TLS receiver failed: ${receiver.stdout}`)
    return { rate, senderCpuPerGiB: await senderCpu / (bytes / GiB), receiverCpuPerGiB: Number(/CPU ([0-9.]+)/.exec(receiver.stdout)?.[1]) / (bytes / GiB) }
  } finally {
    sender.kill('SIGKILL')
  }
}

/** Node flags for one end: a CPU profile when GAS_BENCH_PROFILE_SERVE/_SYNC names a folder, and GAS_BENCH_NODE_FLAGS (for A/B runs of V8 settings). */
function profile (variable: string): string[] {
  const dir = process.env[variable]
  const flags = (process.env.GAS_BENCH_NODE_FLAGS ?? '').split(/\s+/).filter((f) => f !== '')
  return [...flags, ...(dir !== undefined ? ['--cpu-prof', '--cpu-prof-dir', dir] : [])]
}

async function run (child: ChildProcess): Promise<{ status: number | string, stdout: string, stderr: string }> {
  let stdout = ''
  let stderr = ''
  child.stdout?.setEncoding('utf8').on('data', (d: string) => { stdout += d })
  child.stderr?.setEncoding('utf8').on('data', (d: string) => { stderr += d })
  const status = await new Promise<number | string>((resolve) => child.on('close', (code, signal) => resolve(code ?? signal ?? 'unknown')))
  return { status, stdout, stderr }
}
