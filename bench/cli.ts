import { spawn } from 'node:child_process'
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises'
import { cpus, loadavg } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as gas from '../src/index.js'
import type { Figure } from './figure.js'

/**
 * The daily command line as a person starts it (bin/gas, a new node process each time), median of
 * several runs, each beside its comparison in the same run:
 *   - `gas status` on a clean workspace of 100 000 small files against `git status` on the same tree;
 *   - `gas log -n 20`, `gas whoami`, `gas --help` against `git log -n 20` / a bare `node -e 0` start.
 * The 100 000-file workspace is generated and added once per run (its cost is reported too).
 */

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
const GAS_BIN = join(ROOT, 'bin', 'gas')
const RUNS = 7

async function run (cmd: string, args: string[], cwd: string): Promise<number> {
  const started = performance.now()
  const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_AUTHOR_NAME: 'b', GIT_AUTHOR_EMAIL: 'b@x', GIT_COMMITTER_NAME: 'b', GIT_COMMITTER_EMAIL: 'b@x' } })
  let stderr = ''
  child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d })
  const status = await new Promise<number | string>((resolve) => child.on('close', (code, signal) => resolve(code ?? signal ?? 'unknown')))
  if (status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${status}: ${stderr.slice(-400)}`)
  return (performance.now() - started) / 1000
}

async function median (cmd: string, args: string[], cwd: string): Promise<number> {
  const times: number[] = []
  for (let i = 0; i < RUNS; i++) times.push(await run(cmd, args, cwd))
  times.sort((a, b) => a - b)
  return times[Math.floor(times.length / 2)]
}

/** 100 000 files of a few bytes in 500 folders of 200, as a level's tiles or a texture library look to a file system. */
async function generateTree (dir: string, files: number): Promise<void> {
  const perFolder = 200
  for (let d = 0; d * perFolder < files; d++) {
    const folder = join(dir, `zone${String(d).padStart(3, '0')}`, 'tiles')
    await mkdir(folder, { recursive: true })
    const writes: Array<Promise<void>> = []
    for (let f = 0; f < perFolder && d * perFolder + f < files; f++) writes.push(writeFile(join(folder, `tile${f}.dat`), `zone ${d} tile ${f}\n`))
    await Promise.all(writes)
  }
}

export async function benchCli (workDir: string, opts: { quick: boolean }): Promise<Figure[]> {
  const files = opts.quick ? 10_000 : 100_000
  const root = await mkdtemp(join(workDir, 'cli-'))
  const tree = join(root, 'tree')
  await mkdir(tree)
  let t = performance.now()
  await generateTree(tree, files)
  const generateSeconds = (performance.now() - t) / 1000
  await run(process.execPath, [GAS_BIN, 'init', '--name', 'bench'], tree)
  t = performance.now()
  await run(process.execPath, [GAS_BIN, 'add', '.'], tree)
  await run(process.execPath, [GAS_BIN, 'commit', '-m', 'tiles'], tree)
  const addSeconds = (performance.now() - t) / 1000
  process.stderr.write(`cli: generated ${files} files in ${generateSeconds.toFixed(1)} s, gas add + commit ${addSeconds.toFixed(1)} s\n`)
  await run('git', ['init', '-q'], tree)
  await writeFile(join(tree, '.git', 'info', 'exclude'), '.gas/\n')
  await run('git', ['add', '-A'], tree)
  await run('git', ['commit', '-q', '-m', 'tiles'], tree)
  // one run of each first: gas's writes its lean status cache, git's refreshes its index
  await run(process.execPath, [GAS_BIN, 'status'], tree)
  await run('git', ['status'], tree)
  const gasStatus = await median(process.execPath, [GAS_BIN, 'status'], tree)
  const gitStatus = await median('git', ['status'], tree)

  // a small workspace with a history for log: 25 versions
  const small = join(root, 'small')
  await mkdir(small)
  const ws = await gas.init({ dir: small, name: 'bench' })
  for (let i = 0; i < 25; i++) {
    await writeFile(join(small, 'notes.txt'), `version ${i}\n`)
    await gas.add(ws, { paths: [join(small, 'notes.txt')] })
    await gas.commit(ws, { message: `version ${i}` })
  }
  await ws.close()
  const gasLog = await median(process.execPath, [GAS_BIN, 'log', '-n', '20'], small)
  const gitLog = await median('git', ['log', '-n', '20'], tree)
  const whoami = await median(process.execPath, [GAS_BIN, 'whoami'], small)
  const help = await median(process.execPath, [GAS_BIN, '--help'], small)
  const bareNode = await median(process.execPath, ['-e', '0'], small)
  const ms = (s: number): number => s * 1000
  // why: these are wall-clock start times of new processes; on a shared machine they scale with its load, said beside them
  const load = loadavg()[0]
  const underMs = (value: number, floor: number): boolean => ms(value) <= floor
  return [
    { name: `machine load during these figures (1-min load average, ${cpus().length} cores)`, value: load, unit: 'runnable' },
    { name: `generate ${files} files (setup)`, value: generateSeconds, unit: 's' },
    { name: `gas add + commit of ${files} files (setup)`, value: addSeconds, unit: 's' },
    { name: `gas status, clean workspace of ${files} files (median of ${RUNS})`, value: gasStatus, unit: 's', compare: { name: 'git status, same tree', value: gitStatus, unit: 's' }, floor: '<= 0.5 s', pass: gasStatus <= 0.5 },
    { name: `gas log -n 20 (median of ${RUNS})`, value: ms(gasLog), unit: 'ms', compare: { name: 'git log -n 20', value: ms(gitLog), unit: 'ms' }, floor: '<= 150 ms', pass: underMs(gasLog, 150) },
    { name: `gas whoami (median of ${RUNS})`, value: ms(whoami), unit: 'ms', compare: { name: 'bare node start (node -e 0)', value: ms(bareNode), unit: 'ms' }, floor: '<= 150 ms', pass: underMs(whoami, 150) },
    { name: `gas --help (median of ${RUNS})`, value: ms(help), unit: 'ms', compare: { name: 'bare node start (node -e 0)', value: ms(bareNode), unit: 'ms' }, floor: '<= 150 ms', pass: underMs(help, 150) }
  ]
}
