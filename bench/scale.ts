import type { ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import { closeSync, ftruncateSync, linkSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs'
import { copyFile, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as gas from '../src/index.js'
import { cliTeam, startServe, stopGas, type GasCommand } from '../test/helpers/cli-team.js'
import type { Figure } from './figure.js'
import { gasTimed, USAGE_PRELOAD } from './process-usage.js'

const GAS_BIN = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'gas')
const gasCmd: GasCommand = () => [process.execPath, GAS_BIN]
const MiB = 2 ** 20
/** the issue's floor for an add, a commit and a no-change sync of a 100 GB / 200 000-asset project */
const FLOOR_MIB = 300
/** unique bytes at the head of each asset: its first chunk (and so its manifest and asset record) is its own */
const UNIQUE_HEAD = 4096
const PER_FOLDER = 1000


function assetPath (i: number): string {
  return `assets/d${String(Math.floor(i / PER_FOLDER)).padStart(3, '0')}/asset-${String(i).padStart(6, '0')}.bin`
}

/**
 * The project: `count` files of `size` bytes each, whose first 4 KiB are unique (SHA-256 of the
 * asset number, repeated) and the rest a hole: sparse on disk, read back as zeros. Each file is
 * also hard-linked into `mirror`, the second member's workspace (same inode: the same stat data,
 * so its index entries hold there too).
 */
function makeProject (dir: string, mirror: string, count: number, size: number): void {
  for (let i = 0; i < count; i++) {
    const rel = assetPath(i)
    if (i % PER_FOLDER === 0) {
      mkdirSync(dirname(join(dir, rel)), { recursive: true })
      mkdirSync(dirname(join(mirror, rel)), { recursive: true })
    }
    const fd = openSync(join(dir, rel), 'w')
    try {
      const seed = createHash('sha256').update(`scale asset ${i}`).digest()
      writeSync(fd, Buffer.concat(Array.from({ length: UNIQUE_HEAD / seed.length }, () => seed)))
      ftruncateSync(fd, size)
    } finally {
      closeSync(fd)
    }
    linkSync(join(dir, rel), join(mirror, rel))
  }
}

/**
 * B gets A's store as `git clone --local` gets one: the packs hard-linked (closed packs never
 * change), loose objects and the index copied, the branch set to A's head. A sync over the network
 * would check the 100 GB out again, which this disk cannot hold twice.
 */
async function cloneStore (from: string, to: string, branchRef: string): Promise<void> {
  const objects = join(from, '.gas', 'objects')
  for (const name of await readdir(join(objects, 'pack'))) {
    if (/\.(pack|idx)$/.test(name)) linkSync(join(objects, 'pack', name), join(to, '.gas', 'objects', 'pack', name))
  }
  for (const fanout of (await readdir(objects)).filter((d) => /^[0-9a-f]{2}$/.test(d))) {
    await mkdir(join(to, '.gas', 'objects', fanout), { recursive: true })
    for (const name of await readdir(join(objects, fanout))) await copyFile(join(objects, fanout, name), join(to, '.gas', 'objects', fanout, name))
  }
  await copyFile(join(from, '.gas', 'index.json'), join(to, '.gas', 'index.json'))
  await mkdir(dirname(join(to, '.gas', branchRef)), { recursive: true })
  await copyFile(join(from, '.gas', branchRef), join(to, '.gas', branchRef))
}

function peakOf (child: ChildProcess): number {
  return Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid ?? -1}/status`, 'utf8'))?.[1]) * 1024
}

/**
 * Peak RSS of `gas add`, `gas commit`, and of a `gas sync --once` with nothing to transfer (and of
 * the `gas serve` at the other end) for a project of many assets: 200 000 assets, 100 GB (quick:
 * 20 000, 10 GB), each against the issue's 300 MiB. `node dist/bench/scale.js [--quick] [--assets N] [--gb G]`.
 */
export async function benchScale (workDir: string, opts: { quick: boolean, assets?: number, gigabytes?: number }): Promise<Figure[]> {
  const count = opts.assets ?? (opts.quick ? 20_000 : 200_000)
  const size = Math.floor((opts.gigabytes ?? (opts.quick ? 10 : 100)) * 1e9 / count)
  const label = `${count} assets × ${(size / 1024).toFixed(0)} KiB = ${(count * size / 1e9).toFixed(1)} GB (sparse: first 4 KiB unique per asset, the rest a hole read as zeros, so deduplicated chunks)`
  const log = (line: string): void => { process.stderr.write(`scale: ${line}\n`) }
  await mkdir(workDir, { recursive: true })
  const root = await mkdtemp(join(workDir, 'scale-'))
  const preload = join(root, 'usage.mjs')
  await writeFile(preload, USAGE_PRELOAD)
  const tracker = await gas.startTracker({ port: 0, host: '127.0.0.1' })
  let serve: ChildProcess | undefined
  try {
    const [a, b] = await cliTeam(root, ['a', 'b'], [gasCmd, gasCmd], [tracker.url])
    log(`making ${label}`)
    let t = performance.now()
    makeProject(a, b, count, size)
    log(`made in ${((performance.now() - t) / 1000).toFixed(0)} s; gas add`)
    const add = await gasTimed(a, ['add', 'assets'], preload)
    log(`add ${(add.ms / 1000).toFixed(0)} s, ${(add.peakRssBytes / MiB).toFixed(0)} MiB; gas commit`)
    const commit = await gasTimed(a, ['commit', '-m', 'the whole project', '--json'], preload)
    log(`commit ${(commit.ms / 1000).toFixed(1)} s, ${(commit.peakRssBytes / MiB).toFixed(0)} MiB; cloning the store into B`)
    t = performance.now()
    await cloneStore(a, b, 'refs/heads/main')
    log(`cloned in ${((performance.now() - t) / 1000).toFixed(0)} s; gas serve on A, gas sync --once on B`)
    serve = await startServe(gasCmd, a)
    const sync = await gasTimed(b, ['sync', '--once', '--json'], preload)
    const result = JSON.parse(sync.stdout) as { peers?: number, complete?: boolean, fetched?: { objects: number, bytes: number }, routes?: Array<{ transport: string }> }
    const serveHwm = peakOf(serve)
    log(`sync ${(sync.ms / 1000).toFixed(1)} s, ${(sync.peakRssBytes / MiB).toFixed(0)} MiB (peers ${String(result.peers)}, complete ${String(result.complete)}, fetched ${String(result.fetched?.objects)} objects, via ${result.routes?.[0]?.transport ?? '?'}); serve ${(serveHwm / MiB).toFixed(0)} MiB`)
    const fig = (what: string, run: { peakRssBytes: number, ms?: number, cpuSeconds?: number }, floor: boolean): Figure => ({
      name: `scale: ${what}, ${label}: peak RSS${run.ms === undefined ? '' : ` (${(run.ms / 1000).toFixed(1)} s, ${run.cpuSeconds?.toFixed(1) ?? '?'} CPU s)`}`,
      value: run.peakRssBytes / MiB,
      unit: 'MiB',
      compare: { name: 'the floor', value: FLOOR_MIB, unit: 'MiB' },
      ...(floor ? { floor: `<= ${FLOOR_MIB} MiB`, pass: run.peakRssBytes <= FLOOR_MIB * MiB } : {})
    })
    const nothingMoved = result.peers !== undefined && result.peers > 0 && result.complete === true && result.fetched?.objects === 0
    return [
      fig('gas add (CLI)', add, true),
      fig('gas commit (CLI)', commit, true),
      fig(`gas sync --once with nothing to transfer (receiving end; ${nothingMoved ? `met the peer over ${result.routes?.[0]?.transport ?? '?'}, 0 objects fetched` : `NOT a clean no-change sync: peers ${String(result.peers)}, complete ${String(result.complete)}, fetched ${String(result.fetched?.objects)}`})`, sync, true),
      fig('gas serve (sending end of that sync, whole process life)', { peakRssBytes: serveHwm }, true)
    ]
  } finally {
    if (serve !== undefined) await stopGas(serve)
    await tracker.close()
    await rm(root, { recursive: true, force: true })
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const argv = process.argv.slice(2)
  const at = (flag: string): number | undefined => argv.includes(flag) ? Number(argv[argv.indexOf(flag) + 1]) : undefined
  const { formatFigure } = await import('./figure.js')
  // a folder of its own: two runs at once must not remove each other's projects
  const workDir = await mkdtemp(join(tmpdir(), 'gas-bench-scale-'))
  try {
    const figures = await benchScale(workDir, { quick: argv.includes('--quick'), assets: at('--assets'), gigabytes: at('--gb') })
    for (const f of figures) process.stdout.write(`${formatFigure(f)}\n`)
  } finally {
    await rm(workDir, { recursive: true, force: true })
  }
}
