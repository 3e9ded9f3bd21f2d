import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
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
const PROBE = join(ROOT, 'test', 'helpers', 'module-probe.mjs')

const ENV = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_AUTHOR_NAME: 'b', GIT_AUTHOR_EMAIL: 'b@x', GIT_COMMITTER_NAME: 'b', GIT_COMMITTER_EMAIL: 'b@x' }
/** GNU time gives each run's CPU time (user + sys), which load inflates far less than wall-clock time */
const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined

interface Run { wall: number, cpu: number }

async function runOnce (cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = ENV): Promise<Run> {
  const started = performance.now()
  const [exe, argv] = TIME === undefined ? [cmd, args] : [TIME, ['-f', '\ncpu %U %S', cmd, ...args]]
  const child = spawn(exe, argv, { cwd, stdio: ['ignore', 'ignore', 'pipe'], env })
  let stderr = ''
  child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d })
  const status = await new Promise<number | string>((resolve) => child.on('close', (code, signal) => resolve(code ?? signal ?? 'unknown')))
  const wall = (performance.now() - started) / 1000
  if (status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${status}: ${stderr.slice(-400)}`)
  const cpu = /\ncpu ([\d.]+) ([\d.]+)\s*$/.exec(stderr)
  return { wall, cpu: cpu === null ? Number.NaN : Number(cpu[1]) + Number(cpu[2]) }
}

async function run (cmd: string, args: string[], cwd: string): Promise<number> {
  return (await runOnce(cmd, args, cwd)).wall
}

/** Median wall-clock and median CPU time of RUNS runs. */
async function median (cmd: string, args: string[], cwd: string): Promise<Run> {
  const runs: Run[] = []
  for (let i = 0; i < RUNS; i++) runs.push(await runOnce(cmd, args, cwd))
  const mid = (values: number[]): number => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]
  return { wall: mid(runs.map((r) => r.wall)), cpu: mid(runs.map((r) => r.cpu)) }
}

/** How many modules (ES and CommonJS, ours and node_modules') a `gas` run loads, through the tests' module probe. */
async function modulesLoaded (args: string[], cwd: string): Promise<number> {
  const out = join(cwd, '..', `modules-${process.pid}.txt`)
  await runOnce(process.execPath, ['--import', PROBE, GAS_BIN, ...args], cwd, { ...ENV, GAS_MODULE_PROBE_OUT: out })
  const count = (await readFile(out, 'utf8')).split('\n').filter((l) => l !== '').length
  await rm(out, { force: true })
  return count
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
  const t = performance.now()
  await generateTree(tree, files)
  const generateSeconds = (performance.now() - t) / 1000
  await run(process.execPath, [GAS_BIN, 'init', '--name', 'bench'], tree)
  const gasAdd = await runOnce(process.execPath, [GAS_BIN, 'add', '.'], tree)
  const gasCommit = await runOnce(process.execPath, [GAS_BIN, 'commit', '-m', 'tiles'], tree)
  const addSeconds = gasAdd.wall + gasCommit.wall
  process.stderr.write(`cli: generated ${files} files in ${generateSeconds.toFixed(1)} s, gas add + commit ${addSeconds.toFixed(1)} s\n`)
  await run('git', ['init', '-q'], tree)
  await writeFile(join(tree, '.git', 'info', 'exclude'), '.gas/\n')
  // why: a commit of 100 000 loose objects starts git's automatic gc in the background, which then
  // shared the 2 cores with every figure below (gas status measured 0.62 s with it, 0.41 s without)
  await run('git', ['config', 'gc.auto', '0'], tree)
  await run('git', ['config', 'maintenance.auto', 'false'], tree)
  const gitAdd = await runOnce('git', ['add', '-A'], tree)
  const gitCommit = await runOnce('git', ['commit', '-q', '-m', 'tiles'], tree)
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
  const modules = {
    status: await modulesLoaded(['status'], tree),
    log: await modulesLoaded(['log', '-n', '20'], small),
    whoami: await modulesLoaded(['whoami'], small),
    help: await modulesLoaded(['--help'], small)
  }
  const ms = (s: number): number => s * 1000
  // why: these are wall-clock start times of new processes; on a shared machine they scale with its load, said beside them with CPU time
  const load = loadavg()[0]
  const underMs = (value: number, floor: number): boolean => ms(value) <= floor
  const cpuFigure = (what: string, r: Run, cmp: Run, cmpName: string, unit: 's' | 'ms', count?: number): Figure => {
    const scale = unit === 'ms' ? ms : (s: number): number => s
    return { name: `  CPU time (user + sys) of ${what}${count === undefined ? '' : `, ${count} modules loaded`}`, value: scale(r.cpu), unit, compare: { name: `${cmpName} CPU time`, value: scale(cmp.cpu), unit } }
  }
  return [
    { name: `machine load during these figures (1-min load average, ${cpus().length} cores)`, value: load, unit: 'runnable' },
    { name: `generate ${files} files (setup)`, value: generateSeconds, unit: 's' },
    { name: `gas add + commit of ${files} files (setup)`, value: addSeconds, unit: 's', compare: { name: 'git add -A + commit, same tree', value: gitAdd.wall + gitCommit.wall, unit: 's' } },
    { name: '  CPU time (user + sys) of gas add + commit', value: gasAdd.cpu + gasCommit.cpu, unit: 's', compare: { name: 'git add -A + commit CPU time', value: gitAdd.cpu + gitCommit.cpu, unit: 's' } },
    { name: `gas status, clean workspace of ${files} files (median of ${RUNS})`, value: gasStatus.wall, unit: 's', compare: { name: 'git status, same tree', value: gitStatus.wall, unit: 's' }, floor: '<= 0.5 s', pass: gasStatus.wall <= 0.5 },
    cpuFigure('gas status', gasStatus, gitStatus, 'git status', 's', modules.status),
    { name: `gas log -n 20 (median of ${RUNS})`, value: ms(gasLog.wall), unit: 'ms', compare: { name: 'git log -n 20', value: ms(gitLog.wall), unit: 'ms' }, floor: '<= 150 ms', pass: underMs(gasLog.wall, 150) },
    cpuFigure('gas log -n 20', gasLog, gitLog, 'git log -n 20', 'ms', modules.log),
    { name: `gas whoami (median of ${RUNS})`, value: ms(whoami.wall), unit: 'ms', compare: { name: 'bare node start (node -e 0)', value: ms(bareNode.wall), unit: 'ms' }, floor: '<= 150 ms', pass: underMs(whoami.wall, 150) },
    cpuFigure('gas whoami', whoami, bareNode, 'node -e 0', 'ms', modules.whoami),
    { name: `gas --help (median of ${RUNS})`, value: ms(help.wall), unit: 'ms', compare: { name: 'bare node start (node -e 0)', value: ms(bareNode.wall), unit: 'ms' }, floor: '<= 150 ms', pass: underMs(help.wall, 150) },
    cpuFigure('gas --help', help, bareNode, 'node -e 0', 'ms', modules.help)
  ]
}
