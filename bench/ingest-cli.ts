import { execFile, spawnSync } from 'node:child_process'
import { createReadStream } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { writeRandomFile } from '../test/fixtures/project.js'
import { findCasync } from './casync.js'
import type { Figure } from './figure.js'
import { gasTimed, USAGE_PRELOAD, type Timed } from './process-usage.js'

/**
 * Ingest as a person runs it: `gas add` then `gas commit` of one new random file, two `gas`
 * processes started from bin/gas (warm page cache: the file is read once before), beside
 * `casync make` of the same file in the same run, with the CPU seconds of each. Best of two
 * rounds each, alternated, since either may catch a neighbour's burst on a shared machine.
 * e2e.ts prints the same comparison inside its end-to-end run; this one runs alone in ~30 s.
 */
const MiB = 1024 * 1024
const MB = 1e6
const ROUNDS = 2

async function warm (path: string): Promise<void> {
  for await (const piece of createReadStream(path, { highWaterMark: 4 * MiB })) void piece
}

/** `casync make` timed, with its CPU seconds (user + system) from /usr/bin/time. */
async function casyncTimed (bin: string, store: string, index: string, input: string): Promise<{ ms: number, cpuSeconds: number }> {
  const start = performance.now()
  const stderr = await new Promise<string>((resolve, reject) => {
    execFile('/usr/bin/time', ['-f', 'cpu %U %S', bin, 'make', `--store=${store}`, index, input], { maxBuffer: 16 * MiB }, (err, _stdout, stderr) => {
      if (err !== null) reject(new Error(`casync make failed: ${err.message}\n${stderr}`))
      else resolve(stderr)
    })
  })
  const ms = performance.now() - start
  const m = /cpu ([\d.]+) ([\d.]+)/.exec(stderr)
  return { ms, cpuSeconds: m === null ? NaN : Number(m[1]) + Number(m[2]) }
}

export async function benchIngestCli (workDir: string, opts: { quick?: boolean } = {}): Promise<Figure[]> {
  const log = (line: string): void => { process.stderr.write(`ingest: ${line}\n`) }
  const size = (opts.quick === true ? 64 : 1024) * MiB
  const sizeName = size >= 1024 * MiB ? `${size / 1024 / MiB} GiB` : `${size / MiB} MiB`
  await mkdir(workDir, { recursive: true })
  const root = await mkdtemp(join(workDir, 'ingest-'))
  const preload = join(root, 'usage.mjs')
  await writeFile(preload, USAGE_PRELOAD)
  const casync = findCasync()
  try {
    const source = join(root, 'new.bin')
    log(`writing ${sizeName} of random bytes`)
    await writeRandomFile(source, size, 'ingest-new')
    spawnSync('sync')
    let best: { add: Timed, commit: Timed } | undefined
    let bestCasync: { ms: number, cpuSeconds: number } | undefined
    for (let round = 0; round < ROUNDS; round++) {
      const ws = join(root, `ws-${round}`)
      await mkdir(ws)
      await gasTimed(ws, ['init', '--name', 'bench'], preload)
      // a hard link: the same cached pages, a new path for a new workspace
      spawnSync('ln', [source, join(ws, 'new.bin')])
      await warm(source)
      const add = await gasTimed(ws, ['add', 'new.bin'], preload)
      const commit = await gasTimed(ws, ['commit', '-m', 'ingest bench'], preload)
      log(`round ${round + 1}: gas add ${(add.ms / 1000).toFixed(2)} s (${add.cpuSeconds.toFixed(2)} CPU s), commit ${(commit.ms / 1000).toFixed(2)} s`)
      if (best === undefined || add.ms + commit.ms < best.add.ms + best.commit.ms) best = { add, commit }
      await rm(ws, { recursive: true, force: true })
      spawnSync('sync')
      if (casync !== null) {
        await warm(source)
        const made = await casyncTimed(casync, join(root, 'casync.castr'), join(root, 'new.caibx'), source)
        log(`round ${round + 1}: casync make ${(made.ms / 1000).toFixed(2)} s (${made.cpuSeconds.toFixed(2)} CPU s)`)
        if (bestCasync === undefined || made.ms < bestCasync.ms) bestCasync = made
        await rm(join(root, 'casync.castr'), { recursive: true, force: true })
        spawnSync('sync')
      }
    }
    const gib = size / (1024 * MiB)
    const gasRate = size / MB / ((best!.add.ms + best!.commit.ms) / 1000)
    const gasCpu = (best!.add.cpuSeconds + best!.commit.cpuSeconds) / gib
    const figures: Figure[] = []
    if (bestCasync !== undefined) {
      const casyncRate = size / MB / (bestCasync.ms / 1000)
      figures.push({ name: `ingest ${sizeName}: gas add + gas commit through the CLI (two processes, warm cache, best of ${ROUNDS})`, value: gasRate, unit: 'MB/s', compare: { name: `casync make, same file, same run, best of ${ROUNDS}`, value: casyncRate, unit: 'MB/s' }, floor: '>= 2.5x casync', pass: gasRate >= 2.5 * casyncRate })
      figures.push({ name: `ingest ${sizeName}: CPU seconds per GiB, gas add + commit`, value: gasCpu, unit: 'CPU s/GiB', compare: { name: 'casync make', value: bestCasync.cpuSeconds / gib, unit: 'CPU s/GiB' } })
    } else {
      figures.push({ name: `ingest ${sizeName}: gas add + gas commit through the CLI (casync missing: no comparison)`, value: gasRate, unit: 'MB/s' })
      figures.push({ name: `ingest ${sizeName}: CPU seconds per GiB, gas add + commit`, value: gasCpu, unit: 'CPU s/GiB' })
    }
    return figures
  } finally {
    await rm(root, { recursive: true, force: true })
  }
}
