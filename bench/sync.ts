import { spawnSync, type ChildProcess } from 'node:child_process'
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { MemoryStore } from '../src/objects/memory-store.js'
import type { ObjectStore } from '../src/objects/store.js'
import { FileStore } from '../src/pack/file-store.js'
import { SimulatedLink } from '../src/peer/transport/simulated-link.js'
import { syncRepo } from '../src/peer/sync/sync-engine.js'
import { serveRepo, type ServeOptions } from '../src/peer/sync/serve-repo.js'
import type { Transport } from '../src/peer/transport/transport.js'
import { connectPair } from '../src/peer/transport/webrtc-transport.js'
import { RefStore } from '../src/refs/ref-store.js'
import { realFs } from '../src/objects/fs.js'
import { buildVersion, cloneStore, pseudoRandomBytes, pseudoRandomStream, setRef, type WrittenVersion } from '../test/net/helpers.js'
import { formatFigure, type Figure } from './figure.js'
import { childResult, runKillResume, startChild } from './sync-resume.js'
import { rawBetweenProcesses, rawDataChannelInChild, webrtcBetweenProcesses } from './sync-processes.js'

/**
 * Sync figures (issue: sync engine). Each runs real sessions, swarm and stores:
 * - utilisation of one simulated link of fixed capacity (≥ 90%);
 * - three seeders at 2, 4 and 8 MB/s (≥ 85% of their sum);
 * - resume after SIGKILL at a random point of a 1 GiB transfer (total fetched ≤ 1.01× the asset);
 * - sync of 1 GiB over WebRTC on 127.0.0.1 against raw node-datachannel (≥ 90%);
 * - delta sync: 1 MiB inserted into a 256 MiB asset plus 4 bytes changed (≤ 2 MiB on the wire),
 *   next to rsync --no-whole-file over a remote-shell pipe;
 * - peak RSS of each peer during a 4 GiB transfer (≤ 300 MiB; `rss4GiB`, slow: ~8 GiB of disk writes).
 * Throughputs are payload bytes over the whole sync (handshake, refs, metadata rounds included).
 */

const KiB = 1024
const MiB = 1024 * KiB
const GiB = 1024 * MiB
const MB = 1e6

export interface SyncBenchOptions {
  /** run the 4 GiB peak-RSS figure (default: env GAS_BENCH_RSS=1) */
  rss4GiB?: boolean
  /** scale the sizes down for a quick look (default 1) */
  scale?: number
  /** smaller sizes (1/8) and one WebRTC round, for a smoke run */
  quick?: boolean
  /** WebRTC rounds (default 3, quick 1) */
  rounds?: number
  /** run only these figures: util, three, delta, resume, webrtc, rss */
  only?: string[]
}

interface Repo<S extends ObjectStore = MemoryStore> { store: S, refs: RefStore, version: WrittenVersion }

async function repoDir (workDir: string, name: string): Promise<RefStore> {
  const dir = await mkdtemp(join(workDir, `${name}-`))
  return new RefStore(realFs, dir)
}

export async function seedRepo (workDir: string, name: string, bytes: Uint8Array): Promise<Repo> {
  const store = new MemoryStore()
  const version = await buildVersion(store, [{ path: 'big.pak', bytes }])
  const refs = await repoDir(workDir, name)
  await setRef(refs, 'refs/heads/main', version.version)
  return { store, refs, version }
}

/** why: like an SCTP send buffer (webrtcTransport pauses at 4 MiB); the default 256 KiB is 10 ms at 25 MB/s, less than a timer can be late on a loaded machine */
export const LINK_BUFFER = 1024 * 1024

/** Syncs `me` from seeders on the given links; returns payload bytes, wall time, and the time of the content phase alone. */
export async function fetchFrom (workDir: string, seeders: Array<Repo<ObjectStore>>, links: Array<[Transport, Transport]>, store: ObjectStore = new MemoryStore(), serve: Pick<ServeOptions, 'mayServe'> = {}): Promise<{ bytes: number, seconds: number, contentSeconds: number, contentBytes: number, wire: number }> {
  const transports = seeders.map((s, i) => {
    void serveRepo({ store: s.store, refs: s.refs, transport: links[i][1], peerName: `seed${i}`, ...serve }).catch(() => {})
    return links[i][0]
  })
  const start = performance.now()
  let contentStart = start
  let contentEnd = start
  let contentBytes = 0
  const result = await syncRepo({
    store,
    refs: await repoDir(workDir, 'me'),
    transports,
    lingerIdleMs: 0,
    onProgress: (p) => {
      if (p.phase === 'metadata') contentStart = performance.now()
      if (p.phase === 'content') { contentEnd = performance.now(); contentBytes = p.bytes }
    }
  })
  const seconds = (performance.now() - start) / 1000
  if (result.missing.length > 0 || result.accessDenied.length > 0) throw new Error(`sync left ${result.missing.length + result.accessDenied.length} objects missing`)
  return { bytes: result.fetched.bytes, seconds, contentSeconds: (contentEnd - contentStart) / 1000, contentBytes, wire: result.wire.sent + result.wire.received }
}

async function linkUtilisation (workDir: string, scale: number): Promise<Figure> {
  const bandwidth = 25 * MB
  const seed = await seedRepo(workDir, 'util', pseudoRandomBytes('util', Math.round(384 * MiB * scale)))
  const run = await fetchFrom(workDir, [seed], [SimulatedLink.pair({ bandwidth, latencyMs: 10, highWaterMark: LINK_BUFFER })])
  const share = run.bytes / run.seconds / bandwidth
  const contentShare = run.contentBytes / run.contentSeconds / bandwidth
  return { name: 'sync: utilisation of a 25 MB/s, 20 ms RTT simulated link (whole sync, 384 MiB)', value: share * 100, unit: '%', compare: { name: 'content phase alone', value: contentShare * 100, unit: '%' }, floor: '>= 90%', pass: share >= 0.9 }
}

async function threeSeeders (workDir: string, scale: number): Promise<Figure> {
  const rates = [2 * MB, 4 * MB, 8 * MB]
  const first = await seedRepo(workDir, 's2', pseudoRandomBytes('three', Math.round(160 * MiB * scale)))
  const seeders = [first, { ...first, store: cloneStore(first.store) }, { ...first, store: cloneStore(first.store) }]
  const run = await fetchFrom(workDir, seeders, rates.map((bandwidth) => SimulatedLink.pair({ bandwidth, latencyMs: 10, highWaterMark: LINK_BUFFER })))
  const sum = rates.reduce((a, b) => a + b, 0)
  const rate = run.bytes / run.seconds
  return { name: 'sync: three seeders at 2, 4 and 8 MB/s (whole sync)', value: rate / MB, unit: 'MB/s', compare: { name: 'sum of the seeders\' links', value: sum / MB, unit: 'MB/s' }, floor: '>= 0.85x sum', pass: rate >= 0.85 * sum }
}

async function resumeAfterKill (workDir: string, scale: number): Promise<Figure[]> {
  const assetBytes = Math.round(GiB * scale)
  const killAtBytes = Math.round(assetBytes * (0.1 + 0.8 * Math.random()))
  const run = await runKillResume({ assetBytes, killAtBytes, workDir })
  const ok = run.identical && run.redundancy <= 1.01
  return [{
    name: `sync: resume after SIGKILL at ${(killAtBytes / MiB).toFixed(0)} MiB of a ${(assetBytes / MiB).toFixed(0)} MiB transfer: redundancy (bytes sent in total beyond the asset)`,
    value: (run.redundancy - 1) * 100,
    unit: '% of the asset',
    compare: { name: 'bytes sent before the kill / after the restart', value: run.sentBeforeKill / MiB, unit: `MiB / ${(run.sentAfterRestart / MiB).toFixed(1)} MiB` },
    floor: '<= 1% (total <= 1.01x the asset, restored bytes identical)',
    pass: ok
  }]
}

interface WebrtcRound { rawOne: number, syncOne: number, rawTwo: number, storeTwo: number, syncTwo: Figure }

/**
 * One round, back to back so that a slower minute of a shared machine hits raw and sync alike.
 * Raw figures run in child processes: node-datachannel may crash a process after it closed a
 * connection (a late timer in webrtc-polyfill's cleanup), and the bench must outlive that.
 */
async function webrtcRound (workDir: string, bytes: number, seed: Repo<FileStore>): Promise<WebrtcRound> {
  const rawOne = rawDataChannelInChild(bytes)
  const link = await connectPair({ labels: { a: 'me', b: 'seed' } })
  const mine = await mkdtemp(join(workDir, 'rtc-me-'))
  const store = await FileStore.open(mine)
  let syncOne: number
  try {
    const run = await fetchFrom(workDir, [seed], [link], store)
    syncOne = run.bytes / run.seconds / MB
  } finally {
    for (const t of link) t.close()
    await store.closeAll()
    await rm(mine, { recursive: true, force: true })
  }
  const rawTwo = await rawBetweenProcesses(workDir, bytes, 'raw')
  const storeTwo = await rawBetweenProcesses(workDir, bytes, 'store')
  const syncTwo = await webrtcBetweenProcesses(workDir, bytes, rawTwo)
  return { rawOne, syncOne, rawTwo, storeTwo, syncTwo }
}

/**
 * Sync over WebRTC against raw node-datachannel with the same 64 KiB messages, like with like:
 * both peers in one process against a raw channel in one process, and `gas serve` → `gas sync`
 * against a raw channel between two processes. On a 2-core machine the data channel alone keeps
 * ~1.4 (one process) to ~1.7 (two) cores busy, so every cycle a store spends comes off the link;
 * the third figure is that ceiling: raw between processes plus only reading, SHA-256 and appending.
 * `rounds` rounds; the round with the median ratio is reported.
 */
async function webrtcSync (workDir: string, scale: number, rounds: number): Promise<Figure[]> {
  const bytes = Math.round(GiB * scale)
  // why: on-disk stores on both sides, as a team's peers have; a 1 GiB MemoryStore in this
  // process made every V8 mark-compact of both peers (and of the two-process fetcher) walk it
  const seedStore = await FileStore.open(await mkdtemp(join(workDir, 'rtc-seed-')))
  const seed: Repo<FileStore> = {
    store: seedStore,
    refs: await repoDir(workDir, 'rtc'),
    version: await buildVersion(seedStore, [{ path: 'big.pak', bytes: pseudoRandomStream('webrtc', bytes) }])
  }
  // why: served at once from this process, a pack whose tail is still being written can be read
  // short ("truncated at offset …", seen in ~1 of 10 one-process rounds) and fail the round
  await seedStore.flush()
  await setRef(seed.refs, 'refs/heads/main', seed.version.version)
  const results: WebrtcRound[] = []
  try {
    for (let i = 0; i < rounds; i++) {
      results.push(await webrtcRound(workDir, bytes, seed))
      if (process.env.GAS_BENCH_VERBOSE !== undefined) console.error(JSON.stringify({ ...results[i], syncTwo: results[i].syncTwo.value }))
    }
  } finally {
    await seedStore.closeAll()
  }
  const median = (ratio: (r: WebrtcRound) => number): WebrtcRound => [...results].sort((a, b) => ratio(a) - ratio(b))[Math.floor(results.length / 2)]
  const size = `${(bytes / GiB).toFixed(2)} GiB`
  const note = rounds > 1 ? ` (median of ${rounds} rounds)` : ''
  const one = median((r) => r.syncOne / r.rawOne)
  const two = median((r) => r.syncTwo.value / r.rawTwo)
  const ceiling = median((r) => r.storeTwo / r.rawTwo)
  return [
    { name: `sync: ${size} over WebRTC, both peers in one process (whole sync)${note}`, value: one.syncOne, unit: 'MB/s', compare: { name: 'raw node-datachannel, both ends in one process, same round', value: one.rawOne, unit: 'MB/s' }, floor: '>= 0.9x raw', pass: one.syncOne >= 0.9 * one.rawOne },
    { ...two.syncTwo, name: `${two.syncTwo.name}${note}`, compare: { name: 'raw node-datachannel between two processes, same round', value: two.rawTwo, unit: 'MB/s' }, pass: two.syncTwo.value >= 0.9 * two.rawTwo },
    { name: `ceiling: raw node-datachannel between two processes + read, SHA-256 and append (no protocol)${note}`, value: ceiling.storeTwo, unit: 'MB/s', compare: { name: 'raw between two processes, same round', value: ceiling.rawTwo, unit: 'MB/s' } }
  ]
}

/** rsync's delta transfer between two local dirs, forced through a remote-shell pipe (local copies skip the delta algorithm). */
async function rsyncDelta (workDir: string, oldBytes: Uint8Array, newBytes: Uint8Array): Promise<number | undefined> {
  const dir = await mkdtemp(join(workDir, 'rsync-'))
  await mkdir(join(dir, 'src'))
  await mkdir(join(dir, 'dst'))
  await writeFile(join(dir, 'src', 'big.pak'), newBytes)
  await writeFile(join(dir, 'dst', 'big.pak'), oldBytes)
  const rsh = join(dir, 'rsh.sh')
  // a "remote shell" that drops the host name and runs the rsync server here
  await writeFile(rsh, '#!/bin/sh\nshift\nexec "$@"\n')
  await chmod(rsh, 0o755)
  const out = spawnSync('rsync', ['--no-whole-file', '--stats', '-e', rsh, join(dir, 'src', 'big.pak'), `localhost:${join(dir, 'dst', 'big.pak')}`], { encoding: 'utf8' })
  await rm(dir, { recursive: true, force: true })
  if (out.status !== 0) return undefined
  const sent = /Total bytes sent: ([\d,.]+)/.exec(out.stdout)?.[1]
  const received = /Total bytes received: ([\d,.]+)/.exec(out.stdout)?.[1]
  if (sent === undefined || received === undefined) return undefined
  return Number(sent.replace(/[,.]/g, '')) + Number(received.replace(/[,.]/g, ''))
}

async function deltaSync (workDir: string, scale: number): Promise<Figure> {
  const size = Math.round(256 * MiB * scale)
  const oldBytes = pseudoRandomBytes('delta-old', size)
  const insertAt = Math.round(size * 0.37) + 12_345
  const changeAt = Math.round(size * 0.81) + 7
  const newBytes = Buffer.concat([oldBytes.subarray(0, insertAt), pseudoRandomBytes('delta-insert', MiB), oldBytes.subarray(insertAt)])
  newBytes.writeUInt32BE((newBytes.readUInt32BE(changeAt + MiB) ^ 0xdeadbeef) >>> 0, changeAt + MiB)
  // the receiver has v1; the seeder has v1 and v2 (v2's parent is v1)
  const mine = new MemoryStore()
  const v1 = await buildVersion(mine, [{ path: 'big.pak', bytes: oldBytes }])
  const seedStore = cloneStore(mine)
  const v2 = await buildVersion(seedStore, [{ path: 'big.pak', bytes: newBytes }], { parents: [v1.version] })
  const seedRefs = await repoDir(workDir, 'delta-seed')
  await setRef(seedRefs, 'refs/heads/main', v2.version)
  const myRefs = await repoDir(workDir, 'delta-me')
  await setRef(myRefs, 'refs/heads/main', v1.version)
  const [a, b] = SimulatedLink.pair({ bandwidth: 100 * MB, latencyMs: 5 })
  void serveRepo({ store: seedStore, refs: seedRefs, transport: b, peerName: 'seed' }).catch(() => {})
  const result = await syncRepo({ store: mine, refs: myRefs, transports: [a], lingerIdleMs: 0 })
  if (result.missing.length > 0 || (await myRefs.read('refs/heads/main')) !== v2.version) throw new Error('delta sync did not complete')
  const wire = result.wire.sent + result.wire.received
  const rsync = await rsyncDelta(workDir, oldBytes, newBytes)
  return {
    name: `sync: delta, 1 MiB inserted + 4 bytes changed in a ${(size / MiB).toFixed(0)} MiB asset: bytes on the wire, everything included`,
    value: wire / MiB,
    unit: 'MiB',
    compare: rsync === undefined ? undefined : { name: 'rsync --no-whole-file (sent + received)', value: rsync / MiB, unit: 'MiB' },
    floor: '<= 2 MiB',
    pass: wire <= 2 * MiB
  }
}

function waitLine (child: ChildProcess, prefix: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = ''
    const onData = (d: Buffer): void => {
      out += d.toString()
      const line = out.split('\n').find((l) => l.startsWith(prefix))
      if (line !== undefined) {
        child.stdout!.off('data', onData)
        resolve(line.slice(prefix.length))
      }
    }
    child.stdout!.on('data', onData)
    child.once('exit', () => reject(new Error(`child exited before printing ${prefix}`)))
  })
}

/** Both peers in their own processes with real FileStores, so each one's peak RSS is its own. */
async function peakRss (workDir: string, scale: number): Promise<Figure[]> {
  const assetBytes = Math.round(4 * GiB * scale)
  const root = await mkdtemp(join(workDir, 'rss-'))
  try {
    await childResult(startChild({ role: 'build', dir: join(root, 'seed'), assetBytes }))
    const seeder = startChild({ role: 'seed', dir: join(root, 'seed') })
    const seederDone = childResult(seeder)
    const port = Number(await waitLine(seeder, 'L '))
    const fetcher = await childResult(startChild({ port, dir: join(root, 'fetch') }))
    const seed = await seederDone
    const limit = 300 * MiB
    const ok = fetcher !== undefined && fetcher.missing === 0
    return [
      { name: `sync: peak RSS of the seeding peer (FileStore), ${(assetBytes / GiB).toFixed(1)} GiB transfer`, value: (seed?.rssPeak ?? 0) / MiB, unit: 'MiB', floor: '<= 300 MiB', pass: ok && (seed?.rssPeak ?? Infinity) <= limit },
      { name: `sync: peak RSS of the fetching peer (FileStore), ${(assetBytes / GiB).toFixed(1)} GiB transfer`, value: (fetcher?.rssPeak ?? 0) / MiB, unit: 'MiB', floor: '<= 300 MiB', pass: ok && (fetcher?.rssPeak ?? Infinity) <= limit }
    ]
  } finally {
    await rm(root, { recursive: true, force: true })
  }
}

export async function benchSync (workDir: string, opts: SyncBenchOptions = {}): Promise<Figure[]> {
  const scale = opts.scale ?? (opts.quick === true ? 1 / 8 : 1)
  await mkdir(workDir, { recursive: true })
  const figures: Figure[] = []
  const step = async (name: string, run: () => Promise<Figure | Figure[]>): Promise<void> => {
    if (opts.only !== undefined && !opts.only.includes(name)) return
    let out: Figure | Figure[]
    try {
      out = await run()
    } catch (err) {
      // why: one failed step must not cost the figures of the others
      out = { name: `sync ${name}: failed: ${(err as Error).message}`, value: Number.NaN, unit: '', floor: 'runs', pass: false }
    }
    for (const f of Array.isArray(out) ? out : [out]) {
      figures.push(f)
      if (process.env.GAS_BENCH_VERBOSE !== undefined) console.error(formatFigure(f))
    }
  }
  await step('util', async () => await linkUtilisation(workDir, scale))
  await step('three', async () => await threeSeeders(workDir, scale))
  await step('delta', async () => await deltaSync(workDir, scale))
  await step('resume', async () => await resumeAfterKill(workDir, scale))
  await step('webrtc', async () => await webrtcSync(workDir, scale, opts.rounds ?? (opts.quick === true ? 1 : 3)))
  if (opts.rss4GiB ?? (process.env.GAS_BENCH_RSS === '1' || opts.only?.includes('rss') === true)) await step('rss', async () => await peakRss(workDir, scale))
  return figures
}

const thisFile = fileURLToPath(import.meta.url).replace(/\.ts$/, '.js')
// `node dist/bench/sync.js [--scale S] [--rss] [--json]`; vite-node hides the script path, so there: `npx vite-node bench/sync.ts --bench-sync …`
const invokedDirectly = (process.argv[1] !== undefined && resolve(process.argv[1]).replace(/\.ts$/, '.js') === thisFile) || process.argv.includes('--bench-sync')
if (invokedDirectly) {
  const flag = (name: string): string | undefined => {
    const i = process.argv.indexOf(name)
    return i < 0 ? undefined : (process.argv[i + 1] ?? '')
  }
  const workDir = await mkdtemp(join(flag('--dir') ?? (await import('node:os')).tmpdir(), 'gas-bench-sync-'))
  try {
    const only = flag('--only')?.split(',')
    const rounds = flag('--rounds')
    const figures = await benchSync(workDir, { rss4GiB: process.argv.includes('--rss') || undefined, scale: Number(flag('--scale') ?? 1), only, rounds: rounds === undefined ? undefined : Number(rounds) })
    if (process.argv.includes('--json')) console.log(JSON.stringify({ figures }, null, 2))
    else for (const f of figures) console.log(formatFigure(f))
    process.exitCode = figures.every((f) => f.pass !== false) ? 0 : 1
  } finally {
    await rm(workDir, { recursive: true, force: true })
  }
  // why: node-datachannel's native threads keep the process alive after the last connection, and its cleanup() can crash while a closed connection still unwinds
  process.exit()
}
