import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdir, open, readdir, rename, rm, stat as fsStat } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { add, commit, init, open as openWorkspace, stat, type StoreStats } from '../src/index.js'
import { randomStream, writeMockProject, writeRandomFile } from '../test/fixtures/project.js'
import { casyncChunks, casyncMake, findCasync } from './casync.js'
import type { Figure } from './figure.js'
import { runNodeWithPeakRss } from './rss.js'

/**
 * The store benchmarks of the foundation issue, each against a comparison measured in the same run:
 * ingest speed (vs casync and plain SHA-256), peak memory of adding a huge file, store growth for
 * a small edit of a big asset (vs casync), compression and metadata overhead on a mock project.
 */

export interface StoreBenchOpts {
  quick?: boolean
  /** rounds of each ingest contender, best kept (default 3) */
  rounds?: number
  /** progress and notes (stderr by default, so `--json` keeps stdout to one document) */
  log?: (line: string) => void
}

const MiB = 1024 * 1024
const MB = 1e6
const GAS_BIN = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'gas')

interface Sizes {
  ingest: number
  huge: number
  delta: number
  insertAt: number
  changeAt: number
  project: { count: number, minSize: number, maxSize: number }
}

const FULL: Sizes = {
  ingest: 1024 * MiB,
  huge: 4096 * MiB,
  delta: 256 * MiB,
  insertAt: 100_000_003,
  changeAt: 200_000_001,
  project: { count: 40, minSize: 100 * 1024, maxSize: 20 * MiB }
}

const QUICK: Sizes = {
  ingest: 64 * MiB,
  huge: 512 * MiB,
  delta: 64 * MiB,
  insertAt: 25_000_003,
  changeAt: 50_000_001,
  project: { count: 12, minSize: 100 * 1024, maxSize: 4 * MiB }
}

const INSERT_BYTES = MiB

function gc (): void {
  (globalThis as { gc?: () => void }).gc?.()
}

function sizeName (bytes: number): string {
  return bytes >= 1024 * MiB ? `${bytes / 1024 / MiB} GiB` : `${bytes / MiB} MiB`
}

/** Apparent size of everything under `dir` (what `du -sb` counts, without directory entries). */
export async function treeBytes (dir: string): Promise<number> {
  let total = 0
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) total += await treeBytes(path)
    else total += (await fsStat(path)).size
  }
  return total
}

async function readThrough (path: string): Promise<void> {
  for await (const piece of createReadStream(path, { highWaterMark: 4 * MiB })) void piece
}

/** node's streaming SHA-256 of a file (createReadStream → createHash), in MB/s. */
async function sha256Speed (path: string, size: number): Promise<number> {
  let best = 0
  // best of the default read size and our ingest's 4 MiB reads, so the comparison is the fastest plain hash
  for (const highWaterMark of [undefined, 4 * MiB]) {
    const start = performance.now()
    const hash = createHash('sha256')
    for await (const piece of createReadStream(path, { highWaterMark })) hash.update(piece as Buffer)
    hash.digest()
    best = Math.max(best, size / MB / ((performance.now() - start) / 1000))
  }
  return best
}

/** `gas add` of the given workspace paths in-process, the store closed (all durable) before the clock stops. */
/** Options for opening a workspace: the default generates previews on add, as `gas add` does. */
interface OpenOpts { previews?: boolean }

function workspaceOpts (dir: string, opts: OpenOpts): Parameters<typeof openWorkspace>[0] {
  return opts.previews === false ? { dir, previewer: undefined } : { dir }
}

async function timedAdd (dir: string, paths: string[], opts: OpenOpts = {}): Promise<number> {
  const ws = await openWorkspace(workspaceOpts(dir, opts))
  const start = performance.now()
  try {
    await add(ws, { paths, cwd: dir })
  } finally {
    await ws.close()
  }
  return performance.now() - start
}

async function addAndCommit (dir: string, paths: string[], message: string, opts: OpenOpts = {}): Promise<number> {
  const ms = await timedAdd(dir, paths, opts)
  const ws = await openWorkspace(workspaceOpts(dir, opts))
  try {
    await commit(ws, { message })
  } finally {
    await ws.close()
  }
  return ms
}

/** Copies `src` to `dst` with `insert` put in at `insertAt` and the 4 bytes at `changeAt` (old offsets) inverted. */
async function writeEdited (src: string, dst: string, insertAt: number, insert: Buffer, changeAt: number): Promise<void> {
  const input = await open(src, 'r')
  const output = await open(dst, 'w')
  const buf = Buffer.allocUnsafe(4 * MiB)
  const copy = async (from: number, to: number): Promise<void> => {
    for (let at = from; at < to;) {
      const { bytesRead } = await input.read(buf, 0, Math.min(buf.length, to - at), at)
      if (bytesRead === 0) return
      await output.write(buf.subarray(0, bytesRead))
      at += bytesRead
    }
  }
  try {
    const size = (await input.stat()).size
    await copy(0, insertAt)
    await output.write(insert)
    await copy(insertAt, changeAt)
    const changed = Buffer.alloc(4)
    await input.read(changed, 0, 4, changeAt)
    for (let i = 0; i < 4; i++) changed[i] ^= 0xff
    await output.write(changed)
    await copy(changeAt + 4, size)
  } finally {
    await input.close()
    await output.close()
  }
}

/**
 * Rounds of each contender, interleaved, best kept: the machine may be shared, and the fastest
 * run is the one least disturbed by others. Every round starts from an empty store.
 */
const INGEST_ROUNDS = 3

async function benchIngest (workDir: string, s: Sizes, log: (l: string) => void, rounds = INGEST_ROUNDS): Promise<Figure[]> {
  const dir = join(workDir, 'ingest')
  await mkdir(dir, { recursive: true })
  const file = join(dir, 'random.bin')
  log(`ingest: writing ${sizeName(s.ingest)} of random bytes`)
  await writeRandomFile(file, s.ingest, 'ingest')
  await readThrough(file) // warm the page cache: every contender reads from memory
  const casync = findCasync()
  if (casync === null) log('ingest: casync is not installed and could not be installed: the casync comparison is skipped')
  let sha = 0
  let gas = 0
  let casyncSpeed = 0
  for (let round = 1; round <= rounds; round++) {
    sha = Math.max(sha, await sha256Speed(file, s.ingest))
    await rm(join(dir, '.gas'), { recursive: true, force: true })
    await init({ dir, name: 'bench' })
    gc()
    const gasMs = await timedAdd(dir, ['random.bin'])
    gas = Math.max(gas, s.ingest / MB / (gasMs / 1000))
    let line = `ingest round ${round}/${rounds}: SHA-256 ${sha.toFixed(0)} MB/s, gas ${(s.ingest / MB / (gasMs / 1000)).toFixed(0)} MB/s`
    if (casync !== null) {
      const castr = join(dir, 'casync.castr')
      await rm(castr, { recursive: true, force: true })
      const made = await casyncMake(castr, join(dir, 'random.caibx'), file)
      casyncSpeed = Math.max(casyncSpeed, s.ingest / MB / (made.ms / 1000))
      line += `, casync ${(s.ingest / MB / (made.ms / 1000)).toFixed(0)} MB/s`
      await rm(castr, { recursive: true, force: true })
    }
    log(line)
  }
  const name = `ingest ${sizeName(s.ingest)} random file (gas add, warm cache, best of ${rounds})`
  const figures: Figure[] = []
  if (casync !== null) {
    figures.push({
      name,
      value: gas,
      unit: 'MB/s',
      compare: { name: 'casync make', value: casyncSpeed, unit: 'MB/s' },
      floor: '>= 2.5x casync',
      pass: gas >= 2.5 * casyncSpeed
    })
  }
  figures.push({
    name,
    value: gas,
    unit: 'MB/s',
    compare: { name: 'node streaming SHA-256', value: sha, unit: 'MB/s' },
    floor: '>= 20% of SHA-256',
    pass: gas >= 0.2 * sha
  })
  await rm(dir, { recursive: true, force: true })
  return figures
}

async function benchPeakRss (workDir: string, s: Sizes, log: (l: string) => void): Promise<Figure[]> {
  const dir = join(workDir, 'huge')
  await mkdir(dir, { recursive: true })
  await init({ dir, name: 'bench' })
  log(`peak RSS: writing ${sizeName(s.huge)} of random bytes`)
  await writeRandomFile(join(dir, 'huge.bin'), s.huge, 'huge')
  const idle = await runNodeWithPeakRss(['-e', ''])
  log('peak RSS: gas add in a child process…')
  const run = await runNodeWithPeakRss([GAS_BIN, 'add', 'huge.bin', '--json'], { cwd: dir })
  if (run.code !== 0) throw new Error(`gas add exited with ${String(run.code)}: ${run.stderr}`)
  const peak = run.peakRssBytes / MiB
  log(`peak RSS: ${peak.toFixed(0)} MiB (${(s.huge / MB / (run.ms / 1000)).toFixed(0)} MB/s in the child)`)
  await rm(dir, { recursive: true, force: true })
  return [
    {
      name: `peak RSS of gas add, ${sizeName(s.huge)} random file (child process)`,
      value: peak,
      unit: 'MiB',
      compare: { name: 'idle node process', value: idle.peakRssBytes / MiB, unit: 'MiB' },
      floor: '<= 300 MiB',
      pass: peak <= 300
    },
    {
      name: `gas add CLI throughput, ${sizeName(s.huge)} random file (incl. process start)`,
      value: s.huge / MB / (run.ms / 1000),
      unit: 'MB/s'
    }
  ]
}

async function benchDelta (workDir: string, s: Sizes, log: (l: string) => void): Promise<Figure[]> {
  const dir = join(workDir, 'delta')
  await mkdir(dir, { recursive: true })
  await init({ dir, name: 'bench' })
  const asset = join(dir, 'level.bin')
  const gasDir = join(dir, '.gas')
  log(`delta: ${sizeName(s.delta)} asset, version 1`)
  await writeRandomFile(asset, s.delta, 'delta')
  await addAndCommit(dir, ['level.bin'], 'version 1')
  const before = await treeBytes(gasDir)
  const casync = findCasync()
  const castr = join(workDir, 'delta.castr')
  let casyncBefore: Map<string, number> | undefined
  if (casync !== null) {
    await casyncMake(castr, join(workDir, 'v1.caibx'), asset)
    casyncBefore = await casyncChunks(castr)
  }
  log(`delta: version 2 (${INSERT_BYTES} bytes inserted at ${s.insertAt}, 4 bytes changed at ${s.changeAt})`)
  const edited = join(workDir, 'level.v2')
  await writeEdited(asset, edited, s.insertAt, randomStream('delta-insert')(INSERT_BYTES), s.changeAt)
  await rename(edited, asset)
  await addAndCommit(dir, ['level.bin'], 'version 2')
  const growth = (await treeBytes(gasDir)) - before
  log(`delta: gas store grew ${growth} bytes`)
  const figure: Figure = {
    name: `store growth: ${sizeName(INSERT_BYTES)} inserted + 4 bytes changed in a ${sizeName(s.delta)} asset`,
    value: growth / MiB,
    unit: 'MiB',
    floor: '<= 2 MiB',
    pass: growth <= 2 * MiB
  }
  if (casync !== null && casyncBefore !== undefined) {
    const made = await casyncMake(castr, join(workDir, 'v2.caibx'), asset)
    let newChunkBytes = 0
    for (const [name, size] of await casyncChunks(castr)) if (!casyncBefore.has(name)) newChunkBytes += size
    const casyncGrowth = newChunkBytes + made.indexBytes
    log(`delta: casync new chunks ${newChunkBytes} bytes + index ${made.indexBytes} bytes`)
    figure.compare = { name: 'casync new chunks + new .caibx', value: casyncGrowth / MiB, unit: 'MiB' }
  } else {
    log('delta: casync unavailable, no comparison')
  }
  await rm(dir, { recursive: true, force: true })
  await rm(castr, { recursive: true, force: true })
  return [figure]
}

async function benchProject (workDir: string, s: Sizes, log: (l: string) => void): Promise<Figure[]> {
  const dir = join(workDir, 'project')
  await mkdir(dir, { recursive: true })
  const { count, minSize, maxSize } = s.project
  log(`project: writing ${count} OBJ/WAV/TGA assets of ${minSize / 1024} KiB–${maxSize / MiB} MiB`)
  const project = await writeMockProject(dir, { kinds: ['obj', 'wav', 'tga'], count, minSize, maxSize, seed: 7 })
  // casync first, before .gas exists, so it archives exactly the bytes gas will store
  let casyncIndex: number | undefined
  let casyncStore: number | undefined
  if (findCasync() !== null) {
    const castr = join(workDir, 'project.castr')
    const made = await casyncMake(castr, join(workDir, 'project.caidx'), dir)
    casyncIndex = made.indexBytes
    casyncStore = 0
    for (const size of (await casyncChunks(castr)).values()) casyncStore += size
    await rm(castr, { recursive: true, force: true })
  } else {
    log('project: casync unavailable, no comparison')
  }
  const paths = [...new Set(project.files.map((f) => f.path.split('/')[0]))]
  // twice: as `gas add` runs (previews generated and stored), then without previews, to show their share
  const measure = async (previews: boolean): Promise<{ ms: number, st: StoreStats }> => {
    await rm(join(dir, '.gas'), { recursive: true, force: true })
    await init(workspaceOpts(dir, { previews }))
    gc()
    const ms = await addAndCommit(dir, paths, 'mock project', { previews })
    const ws = await openWorkspace(workspaceOpts(dir, { previews }))
    try {
      const st = await stat(ws)
      log(`project (${previews ? 'with' : 'without'} previews): ${(ms / 1000).toFixed(1)} s, ${JSON.stringify(st)}`)
      return { ms, st }
    } finally {
      await ws.close()
    }
  }
  const withPreviews = await measure(true)
  const bare = await measure(false)
  const st = withPreviews.st
  const stored = st.storedBytes / st.logicalBytes
  const meta = st.metadataBytes / st.logicalBytes
  const bareMeta = bare.st.metadataBytes / bare.st.logicalBytes
  const megabytes = (project.totalBytes / MiB).toFixed(0)
  const figures: Figure[] = [
    { name: `mock project add+commit (${count} assets, ${megabytes} MiB, with previews)`, value: project.totalBytes / MB / (withPreviews.ms / 1000), unit: 'MB/s' },
    { name: `mock project add+commit (${count} assets, ${megabytes} MiB, previews off)`, value: project.totalBytes / MB / (bare.ms / 1000), unit: 'MB/s' }
  ]
  const compression: Figure = {
    name: `stored/logical, mock OBJ+WAV+TGA project (${megabytes} MiB)`,
    value: 100 * stored,
    unit: '%',
    floor: '<= 60%',
    pass: stored <= 0.6
  }
  const overhead: Figure = {
    name: `metadata/logical, ${count} assets of ${minSize / 1024} KiB–${maxSize / MiB} MiB (gas add, previews included)`,
    value: 100 * meta,
    unit: '%',
    floor: '< 0.5%',
    pass: meta < 0.005
  }
  const bareOverhead: Figure = {
    name: `metadata/logical, ${count} assets of ${minSize / 1024} KiB–${maxSize / MiB} MiB (previews off)`,
    value: 100 * bareMeta,
    unit: '%',
    floor: '< 0.5%',
    pass: bareMeta < 0.005
  }
  if (casyncIndex !== undefined && casyncStore !== undefined) {
    compression.compare = { name: 'casync chunk store / data', value: 100 * casyncStore / project.totalBytes, unit: '%' }
    overhead.compare = { name: 'casync .caidx / data', value: 100 * casyncIndex / project.totalBytes, unit: '%' }
    bareOverhead.compare = overhead.compare
  }
  figures.push(compression, overhead, bareOverhead)
  await rm(dir, { recursive: true, force: true })
  return figures
}

/** Every store figure; sizes shrink with `quick` for a smoke run. */
export async function benchStore (workDir: string, opts: StoreBenchOpts = {}): Promise<Figure[]> {
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`))
  const sizes = opts.quick === true ? QUICK : FULL
  await mkdir(workDir, { recursive: true })
  const figures: Figure[] = []
  figures.push(...await benchIngest(workDir, sizes, log, opts.rounds))
  gc()
  figures.push(...await benchPeakRss(workDir, sizes, log))
  gc()
  figures.push(...await benchDelta(workDir, sizes, log))
  gc()
  figures.push(...await benchProject(workDir, sizes, log))
  return figures
}
