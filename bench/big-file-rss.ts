import { createHash, randomFillSync } from 'node:crypto'
import { createReadStream, readdirSync, readFileSync } from 'node:fs'
import { mkdir, mkdtemp, open, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as gas from '../src/index.js'
import { cliTeam, startServe, stopGas, type GasCommand } from '../test/helpers/cli-team.js'
import { formatFigure, type Figure } from './figure.js'
import { describeMemoryTrace, MEMORY_TRACE_PRELOAD, readMemoryTrace } from './memory-trace.js'
import { gasTimed, USAGE_PRELOAD } from './process-usage.js'

const MiB = 2 ** 20
const FLOOR = 300 * MiB
const GAS_BIN = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'gas')

async function sha256Of (path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const piece of createReadStream(path, { highWaterMark: 4 * MiB })) hash.update(piece as Buffer)
  return hash.digest('hex')
}

/**
 * `bytes` of content whose every byte is one of four letters, drawn at random: every chunk is its
 * own (no deduplication: as many chunks and as much per-chunk state as random bytes) but zstd
 * stores it in ~30 %, so A's pack, B's pack and B's file fit this shared disk together (random
 * bytes would need 30 GB at once). The wire carries the stored (compressed) bytes.
 */
async function writeLowEntropyFile (path: string, bytes: number): Promise<void> {
  const block = Buffer.allocUnsafe(4 * MiB)
  const words = new Uint32Array(block.buffer, block.byteOffset, block.length / 4)
  const fh = await open(path, 'w')
  try {
    for (let done = 0; done < bytes; done += block.length) {
      randomFillSync(block)
      for (let i = 0; i < words.length; i++) words[i] = (words[i] & 0x03030303) | 0x61616161
      await fh.write(block, 0, Math.min(block.length, bytes - done))
    }
  } finally {
    await fh.close()
  }
}

async function writeRandom (path: string, bytes: number): Promise<void> {
  const block = Buffer.allocUnsafe(4 * MiB)
  const fh = await open(path, 'w')
  try {
    for (let done = 0; done < bytes; done += block.length) await fh.write(randomFillSync(block), 0, Math.min(block.length, bytes - done))
  } finally {
    await fh.close()
  }
}

/**
 * Peak RSS of `gas add`, `gas serve` (the sending end), `gas sync --once` (the receiving end) and
 * `gas restore` of one big file through the CLI, each against the issue's 300 MiB floor; beside
 * each, where its memory was at its peak (heap, ArrayBuffers, external: bench/memory-trace.ts).
 */
export async function bigFileRss (workDir: string, opts: { bytes?: number, random?: boolean, log?: (line: string) => void } = {}): Promise<Figure[]> {
  const bytes = opts.bytes ?? 10e9
  const log = opts.log ?? ((line: string): void => { process.stderr.write(`big: ${line}\n`) })
  const size = `${(bytes / 1e9).toFixed(bytes >= 1e10 ? 0 : 1)} GB`
  const content = opts.random === true ? 'random bytes' : 'low-entropy bytes, no two chunks alike'
  await mkdir(workDir, { recursive: true })
  const root = await mkdtemp(join(workDir, 'big-'))
  const preload = join(root, 'usage.mjs')
  await writeFile(preload, USAGE_PRELOAD + MEMORY_TRACE_PRELOAD)
  const traces = join(root, 'traces')
  await mkdir(traces)
  process.env.GAS_BENCH_MEMORY_TRACE = traces
  const gasCmd: GasCommand = () => [process.execPath, '--import', preload, GAS_BIN]
  const traceOf = (pid: number | undefined): string => {
    try { return describeMemoryTrace(readMemoryTrace(join(traces, `${String(pid)}.jsonl`))) } catch { return 'no trace' }
  }
  const tracker = await gas.startTracker({ port: 0, host: '127.0.0.1' })
  let serve: Awaited<ReturnType<typeof startServe>> | undefined
  try {
    const dirs = await cliTeam(root, ['a', 'b'], [gasCmd, gasCmd], [tracker.url])
    log(`writing ${size} of ${content} on A`)
    const source = join(dirs[0], 'huge.bin')
    await (opts.random === true ? writeRandom(source, bytes) : writeLowEntropyFile(source, bytes))
    const add = await gasTimed(dirs[0], ['add', 'huge.bin'], preload)
    log(`add ${(add.ms / 1000).toFixed(0)} s, peak ${(add.peakRssBytes / MiB).toFixed(0)} MiB`)
    await gasTimed(dirs[0], ['commit', '-m', 'huge'], preload)
    const sha256 = await sha256Of(source)
    // why: A's pack, B's pack and B's file must fit the disk together; A serves from its pack
    await rm(source, { force: true })
    serve = await startServe(gasCmd, dirs[0])
    const sync = await gasTimed(dirs[1], ['sync', '--once', '--json'], preload)
    const serveHwm = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${String(serve.pid)}/status`, 'utf8'))?.[1]) * 1024
    const servePid = serve.pid
    await stopGas(serve)
    serve = undefined
    log(`sync ${(sync.ms / 1000).toFixed(0)} s, peak ${(sync.peakRssBytes / MiB).toFixed(0)} MiB, serve ${(serveHwm / MiB).toFixed(0)} MiB`)
    if (await sha256Of(join(dirs[1], 'huge.bin')) !== sha256) throw new Error(`${size} file on B differs from A`)
    await rm(join(dirs[1], 'huge.bin'), { force: true })
    const restored = join(dirs[1], 'huge-restored.bin')
    const restore = await gasTimed(dirs[1], ['restore', 'huge.bin', '--version', 'main', '--out', restored], preload)
    if (await sha256Of(restored) !== sha256) throw new Error('gas restore wrote different bytes')
    await rm(restored, { force: true })
    log(`restore ${(restore.ms / 1000).toFixed(0)} s, peak ${(restore.peakRssBytes / MiB).toFixed(0)} MiB`)
    const pids = Object.fromEntries(readdirSync(traces).map((f) => {
      const argv = (JSON.parse(readFileSync(join(traces, f), 'utf8').split('\n')[0]) as { argv: string[] }).argv
      return [argv.find((a) => !a.includes('/')) ?? '?', Number(f.split('.')[0])]
    }))
    for (const command of ['add', 'serve', 'sync', 'restore']) log(`${command} memory: ${traceOf(command === 'serve' ? servePid : pids[command])}`)
    const fig = (what: string, peak: number, run?: { ms: number, cpuSeconds: number }): Figure => ({
      name: `peak RSS, ${what} of a ${size} file (${content})${run === undefined ? '' : ` (${(run.ms / 1000).toFixed(0)} s, ${run.cpuSeconds.toFixed(0)} CPU s)`}`,
      value: peak / MiB,
      unit: 'MiB',
      compare: { name: 'the floor', value: FLOOR / MiB, unit: 'MiB' },
      floor: '<= 300 MiB',
      pass: peak <= FLOOR
    })
    return [fig('gas add', add.peakRssBytes, add), fig('gas serve (sending end, whole process life)', serveHwm), fig('gas sync --once (receiving end)', sync.peakRssBytes, sync), fig('gas restore', restore.peakRssBytes, restore)]
  } finally {
    delete process.env.GAS_BENCH_MEMORY_TRACE
    if (serve !== undefined) await stopGas(serve)
    await tracker.close()
    await rm(root, { recursive: true, force: true })
  }
}

// `node dist/bench/big-file-rss.js [--gb G] [--random]`: this section alone
if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const argv = process.argv.slice(2)
  const gb = argv.includes('--gb') ? Number(argv[argv.indexOf('--gb') + 1]) : 10
  const dir = await mkdtemp(join(tmpdir(), 'gas-bench-big-'))
  try {
    const figures = await bigFileRss(dir, { bytes: gb * 1e9, random: argv.includes('--random') })
    for (const f of figures) process.stdout.write(`${formatFigure(f)}\n`)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
  process.exit(0)
}
