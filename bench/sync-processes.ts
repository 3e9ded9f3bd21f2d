import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { createInterface } from 'node:readline'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as gas from '../src/index.js'
import { writeRandomFile } from '../test/fixtures/project.js'
import type { Figure } from './figure.js'

const MB = 1e6
const GAS_BIN = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'gas')

/**
 * Raw node-datachannel throughput measured in a child process: node-datachannel may crash the
 * process that closed its connections (a late timer in webrtc-polyfill's cleanup), so the process
 * that goes on measuring never opens a raw one itself.
 */
export function rawDataChannelInChild (bytes: number): number {
  const module = resolve(dirname(fileURLToPath(import.meta.url)), 'datachannel.js')
  const script = `const { benchRawDataChannel } = await import(${JSON.stringify(module)}); process.stdout.write('RAW ' + (await benchRawDataChannel(${bytes})) + '\\n'); process.exit(0)`
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 600_000 })
  const raw = Number(/RAW ([0-9.]+)/.exec(child.stdout)?.[1])
  if (!Number.isFinite(raw)) throw new Error(`raw data channel benchmark failed: ${child.stderr.slice(0, 300)}`)
  return raw
}

/**
 * Raw node-datachannel between two processes of its own (bench/datachannel-peer.ts), 64 KiB
 * messages: mode "raw" moves one buffer; mode "store" adds only what any verifying store must
 * (read from a file, SHA-256 and append on the other side). MB/s from the first send to the
 * last byte received.
 */
export async function rawBetweenProcesses (workDir: string, bytes: number, mode: 'raw' | 'store'): Promise<number> {
  const source = join(workDir, 'raw-source.bin')
  const sink = join(workDir, 'raw-sink.bin')
  if (mode === 'store') await writeRandomFile(source, bytes, 'raw-between')
  try {
    // why: about 1 in 70 loopback handshakes of node-datachannel 0.33 never opens its channel
    for (let attempt = 1; ; attempt++) {
      try {
        return await rawAttempt(bytes, mode, source, sink)
      } catch (err) {
        if (attempt >= 3 || !(err instanceof NotConnected)) throw err
      }
    }
  } finally {
    await rm(source, { force: true })
    await rm(sink, { force: true })
  }
}

class NotConnected extends Error {}

async function rawAttempt (bytes: number, mode: 'raw' | 'store', source: string, sink: string): Promise<number> {
  const peerScript = resolve(dirname(fileURLToPath(import.meta.url)), 'datachannel-peer.js')
  const spawnEnd = (role: string, file: string): ChildProcess => spawn(process.execPath, [peerScript, role, String(bytes), mode, file], { stdio: ['pipe', 'pipe', 'inherit'] })
  const sender = spawnEnd('send', source)
  const receiver = spawnEnd('receive', sink)
  let connectTimer: NodeJS.Timeout | undefined
  let timer: NodeJS.Timeout | undefined
  try {
    const times: { start?: number, end?: number } = {}
    await new Promise<void>((resolve, reject) => {
      connectTimer = setTimeout(() => { if (times.start === undefined) reject(new NotConnected('raw data channel did not open within 15 s')) }, 15_000)
      timer = setTimeout(() => reject(new Error('raw data channel between processes did not finish in 10 min')), 600_000)
      const relay = (from: ChildProcess, to: ChildProcess): void => {
        createInterface({ input: from.stdout! }).on('line', (line) => {
          const msg = JSON.parse(line) as { start?: number, end?: number }
          if (msg.start !== undefined) times.start = msg.start
          else if (msg.end !== undefined) {
            times.end = msg.end
            resolve()
          } else to.stdin!.write(line + '\n')
        })
        // a peer that dies before the transfer started is a failed handshake, worth another attempt
        from.on('exit', (code) => { if (times.end === undefined) reject(times.start === undefined ? new NotConnected(`raw data channel peer exited with ${code} before connecting`) : new Error(`raw data channel peer exited with ${code}`)) })
      }
      relay(sender, receiver)
      relay(receiver, sender)
    })
    return bytes / MB / ((times.end! - times.start!) / 1000)
  } finally {
    clearTimeout(connectTimer)
    clearTimeout(timer)
    sender.kill('SIGKILL')
    receiver.kill('SIGKILL')
  }
}

/**
 * The sync a team runs where no direct path reaches: `gas serve --no-direct` in one process with its on-disk store, `gas sync --once` in
 * another writing to its own, over WebRTC found through a tracker on 127.0.0.1, both started as a
 * user starts bin/gas. MB/s over the fetch (metadata and content rounds; node's
 * start, discovery, the handshake and the checkout excluded), as `gas sync --json` reports it.
 */
export async function webrtcBetweenProcesses (workDir: string, bytes: number, raw: number): Promise<Figure> {
  const root = await mkdtemp(join(workDir, 'proc-'))
  const seedDir = join(root, 'seed')
  const fetchDir = join(root, 'fetch')
  await mkdir(seedDir, { recursive: true })
  await mkdir(fetchDir, { recursive: true })
  const tracker = await gas.startTracker({ port: 0, host: '127.0.0.1' })
  const seed = await gas.init({ dir: seedDir, name: 'seed', team: 'bench', previewer: async () => [] })
  seed.config = { ...seed.config, trackers: [tracker.url] }
  await seed.saveConfig()
  await writeRandomFile(join(seedDir, 'build.pak'), bytes, 'processes')
  await gas.add(seed, { paths: [seedDir] })
  await gas.commit(seed, { message: 'build' })
  const me = await gas.init({ dir: fetchDir, name: 'me' })
  await gas.joinTeam(me, JSON.stringify(await gas.createInvite(seed, { publicKey: me.identity.publicKey, name: 'me', roles: ['lead'] })))
  await seed.close()
  await me.close()
  const profile = (dir: string | undefined): string[] => dir !== undefined ? ['--cpu-prof', '--cpu-prof-dir', dir] : []
  const server = spawn(process.execPath, [...profile(process.env.GAS_BENCH_PROFILE_SERVE), GAS_BIN, 'serve', '--no-direct'], { cwd: seedDir, stdio: ['ignore', 'ignore', 'pipe'] })
  try {
    await new Promise<void>((resolve, reject) => {
      server.stderr.on('data', (d: Buffer) => { if (d.toString().includes('serving')) resolve() })
      server.on('exit', (code) => reject(new Error(`gas serve exited with ${code}`)))
    })
    // not spawnSync: the tracker runs in this process and must answer the announces
    const sync = await runGas(fetchDir, [...profile(process.env.GAS_BENCH_PROFILE_SYNC)], ['sync', '--once', '--json'])
    if (sync.status !== 0) throw new Error(`gas sync exited with ${sync.status}: ${sync.stderr.slice(0, 300)}`)
    const result = JSON.parse(sync.stdout) as { fetched: { bytes: number }, missing: number, seconds: { fetch: number }, routes: Array<{ transport: string }> }
    if (result.missing > 0 || result.fetched.bytes < bytes) throw new Error(`gas sync fetched ${result.fetched.bytes} of ${bytes} bytes: ${sync.stdout.slice(0, 300)}`)
    // why: this figure is WebRTC's; a serve's direct path would carry the sync and measure TCP instead
    if (result.routes[0]?.transport !== 'webrtc') throw new Error(`gas sync went over ${result.routes[0]?.transport ?? 'nothing'}, not WebRTC`)
    const rate = result.fetched.bytes / result.seconds.fetch / MB
    return {
      name: `sync: ${(bytes / 2 ** 30).toFixed(2)} GiB over WebRTC between two processes (gas serve → gas sync, on-disk stores)`,
      value: rate,
      unit: 'MB/s',
      compare: { name: 'raw node-datachannel, 64 KiB messages, same run', value: raw, unit: 'MB/s' },
      floor: '>= 0.9x raw',
      pass: rate >= 0.9 * raw
    }
  } finally {
    server.kill('SIGTERM')
    await tracker.close()
    await rm(root, { recursive: true, force: true })
  }
}

/** Runs bin/gas (node flags `nodeArgs`, e.g. for profiling); resolves with its output once it exits. */
async function runGas (cwd: string, nodeArgs: string[], args: string[]): Promise<{ status: number | string, stdout: string, stderr: string }> {
  const child = spawn(process.execPath, [...nodeArgs, GAS_BIN, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d })
  child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d })
  const status = await new Promise<number | string>((resolve) => child.on('close', (code, signal) => resolve(code ?? signal ?? 'unknown')))
  return { status, stdout, stderr }
}
