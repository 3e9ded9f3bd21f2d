import { spawnSync } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdir, mkdtemp, open, rename, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as gas from '../src/index.js'
import { writeRandomFile } from '../test/fixtures/project.js'
import { cliTeam, startServe, stopGas, type GasCommand } from '../test/helpers/cli-team.js'
import { bigFileRss } from './big-file-rss.js'
import { casyncMake, findCasync } from './casync.js'
import { formatFigure, type Figure } from './figure.js'
import { formatTimeline, traceEvents, type TraceEvent } from './trace-timeline.js'
import { gasTimed, USAGE_PRELOAD, type Timed } from './process-usage.js'
import { restoreAgainstCp, restoreFigures } from './restore-pair.js'
import { bytesIn, cpuSecondsOf, findSyncthing, folderStatus, scanAndWait, startSyncthingPair, stopSyncthing, type SyncthingNode } from './syncthing-pair.js'

/**
 * End to end as a team feels it, through the CLI: a new file added and committed on A, then
 * `gas sync --once` on B done and the file verified there; beside it Syncthing (two instances on
 * 127.0.0.1, bench/syncthing-pair.ts) moving the same file, in the same run, with the CPU seconds
 * of each. Then the delta edit (1 MiB inserted unaligned + 4 bytes changed) with the bytes each
 * received, `gas restore` against `cp`, and `gas add`+`commit` against `casync make`.
 * `node dist/bench/e2e.js --big` adds the peak RSS of add, serve, sync and restore of a 10 GB file.
 */
const MiB = 1024 * 1024
const MB = 1e6
const GAS_BIN = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'gas')
const gasCmd: GasCommand = () => [process.execPath, GAS_BIN]


async function sha256Of (path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const piece of createReadStream(path, { highWaterMark: 4 * MiB })) hash.update(piece as Buffer)
  return hash.digest('hex')
}

/** Writes `dst`: `src` with `insert` bytes inserted at `at` and 4 bytes flipped at `flipAt` (an offset in the new file), streamed. */
async function editedCopy (src: string, dst: string, at: number, insert: Buffer, flipAt: number): Promise<void> {
  const tmp = `${dst}.edit-${process.pid}`
  const out = await open(tmp, 'w')
  let written = 0
  const put = async (b: Buffer): Promise<void> => {
    const copy = Buffer.from(b)
    if (flipAt >= written && flipAt < written + copy.length) for (let i = 0; i < 4 && flipAt - written + i < copy.length; i++) copy[flipAt - written + i] ^= 0x5a
    await out.write(copy)
    written += copy.length
  }
  let read = 0
  for await (const piece of createReadStream(src, { highWaterMark: 4 * MiB })) {
    const b = piece as Buffer
    if (at >= read && at < read + b.length) {
      await put(b.subarray(0, at - read))
      await put(insert)
      await put(b.subarray(at - read))
    } else await put(b)
    read += b.length
  }
  await out.close()
  await rename(tmp, dst)
}

/** `sync`(1) before a timed write, so dirty pages left by the last step do not land on the next one's clock. */
function flushDirty (): void {
  spawnSync('sync')
}

/** What `gas serve` printed on stderr since the last call: its trace marks (GAS_TRACE=1) go into the run's timeline. */
type ServeLog = () => string

async function gasEndToEnd (dirs: string[], serve: number | undefined, file: string, preload: string, serveLog?: ServeLog): Promise<{ seconds: number, cpu: number, add: Timed, commit: Timed, sync: Timed, fetchedBytes: number, timeline: string[] }> {
  const serveBefore = cpuSecondsOf(serve)
  serveLog?.()
  const startEpoch = performance.timeOrigin + performance.now()
  const t0 = performance.now()
  const add = await gasTimed(dirs[0], ['add', file], preload)
  const commit = await gasTimed(dirs[0], ['commit', '-m', `e2e ${file}`], preload)
  const sync = await gasTimed(dirs[1], ['sync', '--once', '--json'], preload)
  const seconds = (performance.now() - t0) / 1000
  const events: TraceEvent[] = [...traceEvents('add', add.stderr), ...traceEvents('commit', commit.stderr), ...traceEvents('sync', sync.stderr), ...traceEvents('serve', serveLog?.() ?? '')]
  const timeline = events.length === 0 ? [] : formatTimeline(startEpoch, [...events, { at: startEpoch + seconds * 1000, who: 'bench', label: 'file on B, sync exited' }])
  const cpu = add.cpuSeconds + commit.cpuSeconds + sync.cpuSeconds + cpuSecondsOf(serve) - serveBefore
  const result = JSON.parse(sync.stdout) as { fetched: { bytes: number } }
  if (await sha256Of(join(dirs[1], file)) !== await sha256Of(join(dirs[0], file))) throw new Error(`gas: ${file} on B differs from A`)
  return { seconds, cpu, add, commit, sync, fetchedBytes: result.fetched.bytes, timeline }
}

async function syncthingEndToEnd (a: SyncthingNode, b: SyncthingNode, file: string, globalBytes: number): Promise<{ seconds: number, cpu: number, bytes: number }> {
  const cpuBefore = cpuSecondsOf(a.child.pid) + cpuSecondsOf(b.child.pid)
  const inBefore = await bytesIn(b)
  const t0 = performance.now()
  await scanAndWait(a, b, { globalBytes }, 3_600_000)
  const seconds = (performance.now() - t0) / 1000
  const cpu = cpuSecondsOf(a.child.pid) + cpuSecondsOf(b.child.pid) - cpuBefore
  const bytes = await bytesIn(b) - inBefore
  if (await sha256Of(join(b.folder, file)) !== await sha256Of(join(a.folder, file))) throw new Error(`syncthing: ${file} on B differs from A`)
  return { seconds, cpu, bytes }
}

export async function benchE2e (workDir: string, opts: { quick?: boolean, big?: boolean } = {}): Promise<Figure[]> {
  const log = (line: string): void => { process.stderr.write(`e2e: ${line}\n`) }
  const size = (opts.quick === true ? 64 : 1024) * MiB
  const deltaSize = (opts.quick === true ? 32 : 256) * MiB
  const sizeName = `${size / MiB >= 1024 ? `${size / 1024 / MiB} GiB` : `${size / MiB} MiB`}`
  await mkdir(workDir, { recursive: true })
  const root = await mkdtemp(join(workDir, 'e2e-'))
  const preload = join(root, 'usage.mjs')
  await writeFile(preload, USAGE_PRELOAD)
  const figures: Figure[] = []
  const tracker = await gas.startTracker({ port: 0, host: '127.0.0.1' })
  let serve: Awaited<ReturnType<typeof startServe>> | undefined
  let pair: [SyncthingNode, SyncthingNode] | undefined
  try {
    const dirs = await cliTeam(root, ['a', 'b'], [gasCmd, gasCmd], [tracker.url])
    serve = await startServe(gasCmd, dirs[0])
    // GAS_TRACE=1 (inherited by every gas process): each gas run's steps, printed as one timeline
    let serveStderr = ''
    serve.stderr?.on('data', (d: Buffer) => { serveStderr += d.toString() })
    const serveLog: ServeLog = () => { const text = serveStderr; serveStderr = ''; return text }
    if (findSyncthing() === null) throw new Error('syncthing is not installed (apt-get install -y syncthing)')
    pair = await startSyncthingPair(root)
    const [sa, sb] = pair

    log(`writing ${sizeName} of random bytes on both A sides`)
    await writeRandomFile(join(dirs[0], 'new.bin'), size, 'e2e-new')
    await writeRandomFile(join(sa.folder, 'new.bin'), size, 'e2e-new')
    flushDirty()
    log('gas: add + commit on A, sync --once on B')
    const g = await gasEndToEnd(dirs, serve.pid, 'new.bin', preload, serveLog)
    log(`gas ${g.seconds.toFixed(1)} s (add ${(g.add.ms / 1000).toFixed(1)}, commit ${(g.commit.ms / 1000).toFixed(1)}, sync ${(g.sync.ms / 1000).toFixed(1)}), ${g.cpu.toFixed(1)} CPU s (add ${g.add.cpuSeconds.toFixed(2)}, commit ${g.commit.cpuSeconds.toFixed(2)}, sync ${g.sync.cpuSeconds.toFixed(2)})`)
    for (const line of g.timeline) log(`  ${line}`)
    flushDirty()
    log('syncthing: scan on A, wait for B')
    const s = await syncthingEndToEnd(sa, sb, 'new.bin', size)
    log(`syncthing ${s.seconds.toFixed(1)} s, ${s.cpu.toFixed(1)} CPU s`)
    figures.push({ name: `e2e: ${sizeName} new file, gas add+commit on A → gas sync --once done, verified on B (CLI, seconds)`, value: g.seconds, unit: 's', compare: { name: 'Syncthing 1.19 scan → in sync on B, same run', value: s.seconds, unit: 's' }, floor: '<= 1.5x Syncthing', pass: g.seconds <= 1.5 * s.seconds })
    figures.push({ name: `e2e: ${sizeName} new file, CPU seconds of gas (add, commit, sync, serve)`, value: g.cpu, unit: 'CPU s', compare: { name: 'Syncthing, both instances', value: s.cpu, unit: 'CPU s' } })

    const casync = findCasync()
    if (casync !== null) {
      const made = await casyncMake(join(root, 'casync.castr'), join(root, 'new.caibx'), join(dirs[0], 'new.bin'))
      const gasRate = size / MB / ((g.add.ms + g.commit.ms) / 1000)
      const casyncRate = size / MB / (made.ms / 1000)
      // why no floor here: gas adds the file just written (part of the end-to-end time), casync reads it
      // after gas and B's sync have left it in the page cache; the floor is the ingest section's, which
      // gives both the same warm file, best of several (bench/ingest-cli.ts)
      figures.push({ name: `e2e: ingest ${sizeName} inside the end-to-end run: gas add + gas commit of the file just written (CLI)`, value: gasRate, unit: 'MB/s', compare: { name: 'casync make of the same file afterwards, page cache warm', value: casyncRate, unit: 'MB/s' } })
      await rm(join(root, 'casync.castr'), { recursive: true, force: true })
    }

    // restore against cp, best of two each, in the same cache state for both (restore-pair.ts)
    const check = async (out: string): Promise<void> => { if (await sha256Of(out) !== await sha256Of(join(dirs[0], 'new.bin'))) throw new Error('gas restore wrote different bytes') }
    const pairs = await restoreAgainstCp({ ws: dirs[0], asset: 'new.bin', outDir: root, preload, rounds: 2, check })
    figures.push(...restoreFigures(pairs, `restore ${sizeName} (best of 2)`))
    log(`restore cold ${(pairs.cold.restore.ms / 1000).toFixed(2)} s, cp ${(pairs.cold.cp.ms / 1000).toFixed(2)} s; warm ${(pairs.warm.restore.ms / 1000).toFixed(2)} s, cp ${(pairs.warm.cp.ms / 1000).toFixed(2)} s`)

    // the delta edit: both sides first hold the base file, then the edit is timed
    const deltaName = `${deltaSize / MiB} MiB`
    await writeRandomFile(join(dirs[0], 'delta.bin'), deltaSize, 'e2e-delta')
    await writeRandomFile(join(sa.folder, 'delta.bin'), deltaSize, 'e2e-delta')
    await gasEndToEnd(dirs, serve.pid, 'delta.bin', preload)
    await scanAndWait(sa, sb, { globalBytes: size + deltaSize }, 3_600_000)
    // incompressible, so neither side's compression decides the bytes on the wire
    const insert = randomBytes(MiB)
    const at = Math.floor(deltaSize * 0.37) + 12345
    const flipAt = Math.floor(deltaSize * 0.81) + 7
    await editedCopy(join(dirs[0], 'delta.bin'), join(dirs[0], 'delta.bin'), at, insert, flipAt)
    await editedCopy(join(sa.folder, 'delta.bin'), join(sa.folder, 'delta.bin'), at, insert, flipAt)
    flushDirty()
    const gd = await gasEndToEnd(dirs, serve.pid, 'delta.bin', preload, serveLog)
    for (const line of gd.timeline) log(`  delta ${line}`)
    flushDirty()
    const sd = await syncthingEndToEnd(sa, sb, 'delta.bin', size + deltaSize + MiB)
    log(`delta: gas ${gd.seconds.toFixed(1)} s ${gd.fetchedBytes} B, syncthing ${sd.seconds.toFixed(1)} s ${sd.bytes} B`)
    figures.push({ name: `e2e delta edit (1 MiB inserted unaligned + 4 bytes changed in ${deltaName}): gas add+commit → sync verified on B (seconds)`, value: gd.seconds, unit: 's', compare: { name: 'Syncthing, same edit, same run', value: sd.seconds, unit: 's' }, floor: '<= Syncthing', pass: gd.seconds <= sd.seconds })
    figures.push({ name: 'e2e delta edit: bytes received by B (gas: payload fetched)', value: gd.fetchedBytes / MiB, unit: 'MiB', compare: { name: 'Syncthing, bytes B received over its connection', value: sd.bytes / MiB, unit: 'MiB' }, floor: '<= Syncthing', pass: gd.fetchedBytes <= sd.bytes })
    figures.push({ name: 'e2e delta edit: CPU seconds of gas (add, commit, sync, serve)', value: gd.cpu, unit: 'CPU s', compare: { name: 'Syncthing, both instances', value: sd.cpu, unit: 'CPU s' } })
    const status = await folderStatus(sb)
    if (status.needFiles !== 0) throw new Error('syncthing B still needs files')
    await rm(join(dirs[0], 'new.bin'), { force: true })
    await rm(join(sa.folder, 'new.bin'), { force: true })

    if (opts.big === true) {
      await stopSyncthing(sa)
      await stopSyncthing(sb)
      pair = undefined
      // a team of its own (bench/big-file-rss.ts): the 1 GiB files above are gone, the disk holds what it needs
      figures.push(...await bigFileRss(join(root, 'big'), { log: (line) => log(`big: ${line}`) }))
    }
  } finally {
    if (pair !== undefined) for (const node of pair) await stopSyncthing(node)
    if (serve !== undefined) await stopGas(serve)
    await tracker.close()
    await rm(root, { recursive: true, force: true })
  }
  return figures
}

// `node dist/bench/e2e.js [--quick] [--big]`: this section alone
if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const dir = await mkdtemp(join(tmpdir(), 'gas-bench-e2e-'))
  try {
    const figures = await benchE2e(dir, { quick: process.argv.includes('--quick'), big: process.argv.includes('--big') })
    for (const f of figures) process.stdout.write(`${formatFigure(f)}\n`)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
  process.exit(0)
}
