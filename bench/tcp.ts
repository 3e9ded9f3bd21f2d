import { spawn, type ChildProcess } from 'node:child_process'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { createInterface } from 'node:readline'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as gas from '../src/index.js'
import { writeRandomFile } from '../test/fixtures/project.js'
import type { Figure } from './figure.js'

const MB = 1e6
const here = dirname(fileURLToPath(import.meta.url))
const GAS_BIN = resolve(here, '..', '..', 'bin', 'gas')

/**
 * The direct path as users run it: `gas serve` in one process, `gas sync --once` in another, each
 * with its on-disk store, peers found through a tracker on 127.0.0.1 (the serve's address comes in
 * its tracker answer). Compared in the same run with a bare TLS 1.3 stream between two node
 * processes with SHA-256 on the receiving side (the ceiling: floor ≥ 0.7×), and with the same
 * sync over WebRTC (`gas serve --no-direct`: floor ≥ 3×).
 */
export async function benchTcp (workDir: string, opts: { quick: boolean }): Promise<Figure[]> {
  const bytes = (opts.quick ? 64 : 512) * 1024 * 1024
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
    const tcpDir = await member('tcp')
    const webrtcDir = await member('webrtc')
    await seed.close()

    const bare = await bareTls(bytes)
    const tcp = await syncRate(seedDir, tcpDir, ['--listen', '127.0.0.1:0'], bytes, 'tcp')
    const webrtc = await syncRate(seedDir, webrtcDir, ['--no-direct'], bytes, 'webrtc')
    const size = `${(bytes / 2 ** 20).toFixed(0)} MiB`
    return [
      { name: `tcp: bare TLS 1.3 stream between two processes, SHA-256 on the receiver (${size})`, value: bare, unit: 'MB/s' },
      { name: `tcp: sync of ${size} over the direct path (gas serve → gas sync --once, on-disk stores)`, value: tcp, unit: 'MB/s', compare: { name: 'bare TLS 1.3 + SHA-256, same run', value: bare, unit: 'MB/s' }, floor: '>= 0.7x bare TLS', pass: tcp >= 0.7 * bare },
      { name: `tcp: sync of ${size} over the direct path vs WebRTC`, value: tcp, unit: 'MB/s', compare: { name: 'the same sync over WebRTC (gas serve --no-direct), same run', value: webrtc, unit: 'MB/s' }, floor: '>= 3x WebRTC', pass: tcp >= 3 * webrtc }
    ]
  } finally {
    await tracker.close()
    await rm(root, { recursive: true, force: true })
  }
}

/** MB/s of the sync's fetch as `gas sync --json` reports it, after checking which transport carried it. */
async function syncRate (seedDir: string, fetchDir: string, serveArgs: string[], bytes: number, transport: 'tcp' | 'webrtc'): Promise<number> {
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
    const sync = await run(spawn(process.execPath, [...profile('GAS_BENCH_PROFILE_SYNC'), GAS_BIN, 'sync', '--once', '--json'], { cwd: fetchDir, stdio: ['ignore', 'pipe', 'pipe'] }))
    if (sync.status !== 0) throw new Error(`gas sync exited with ${sync.status}: ${sync.stderr.slice(0, 300)}`)
    const result = JSON.parse(sync.stdout) as { fetched: { bytes: number }, missing: number, seconds: { fetch: number }, routes: Array<{ transport: string }> }
    if (result.missing > 0 || result.fetched.bytes < bytes) throw new Error(`gas sync fetched ${result.fetched.bytes} of ${bytes} bytes`)
    if (result.routes[0]?.transport !== transport) throw new Error(`gas sync went over ${result.routes[0]?.transport ?? 'nothing'}, not ${transport}`)
    return result.fetched.bytes / result.seconds.fetch / MB
  } finally {
    server.kill('SIGTERM')
  }
}

/** The bare TLS stream between two processes of its own (bench/tls-peer.ts). */
async function bareTls (bytes: number): Promise<number> {
  const peer = join(here, 'tls-peer.js')
  const sender = spawn(process.execPath, [peer, 'send', String(bytes)], { stdio: ['ignore', 'pipe', 'inherit'] })
  try {
    const port = await new Promise<string>((resolve, reject) => {
      createInterface({ input: sender.stdout }).once('line', (line) => resolve(line.replace('PORT ', '')))
      sender.once('exit', (code) => reject(new Error(`TLS sender exited with ${code}`)))
    })
    const receiver = await run(spawn(process.execPath, [peer, 'receive', String(bytes), port], { stdio: ['ignore', 'pipe', 'inherit'] }))
    const rate = Number(/RATE ([0-9.]+)/.exec(receiver.stdout)?.[1])
    if (!(rate > 0)) throw new Error(`bare TLS receiver failed: ${receiver.stdout}`)
    return rate
  } finally {
    sender.kill('SIGKILL')
  }
}

function profile (variable: string): string[] {
  const dir = process.env[variable]
  return dir !== undefined ? ['--cpu-prof', '--cpu-prof-dir', dir] : []
}

async function run (child: ChildProcess): Promise<{ status: number | string, stdout: string, stderr: string }> {
  let stdout = ''
  let stderr = ''
  child.stdout?.setEncoding('utf8').on('data', (d: string) => { stdout += d })
  child.stderr?.setEncoding('utf8').on('data', (d: string) => { stderr += d })
  const status = await new Promise<number | string>((resolve) => child.on('close', (code, signal) => resolve(code ?? signal ?? 'unknown')))
  return { status, stdout, stderr }
}
