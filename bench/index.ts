import { spawn } from 'node:child_process'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { cpus, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { formatFigure, type Figure } from './figure.js'
import { GAS_NODE_FLAGS } from '../src/peer/sync/node-flags.js'

/**
 * `npm run bench [-- --json] [--only store,preview,datachannel,sync] [--quick] [--strict] [--rounds N]`
 *
 * Runs every benchmark and prints each figure next to its comparison and floor. With --json,
 * stdout carries exactly one JSON document ({figures, machine, notes}); progress goes to stderr.
 * --quick shrinks sizes for a smoke run; --strict exits 1 when a floor fails; --rounds sets how many
 * runs of each ingest contender the store benchmark makes (best kept, default 3).
 */

interface Args { json: boolean, quick: boolean, strict: boolean, rounds: number | undefined, only: Set<string> | undefined }

const SECTIONS = [
  'store', 'preview', 'datachannel', 'sync', 'schedule', 'selective', 'build', 'serve-rss', 'git', 'netns',
  'tcp',
  'flood',
  'e2e',
  'acl',
  'cli',
  'scale',
  'ingest',
  'restore',
  'webrtc-cpu'
] as const
type Section = typeof SECTIONS[number]
const ALIASES: Record<string, Section> = { transport: 'datachannel', webrtc: 'datachannel', previews: 'preview' }

function usage (message: string): never {
  process.stderr.write(`bench: ${message}\nusage: npm run bench -- [--json] [--quick] [--strict] [--rounds N] [--only ${SECTIONS.join(',')}]\n`)
  process.exit(2)
}

function parseArgs (argv: string[]): Args {
  const args: Args = { json: false, quick: false, strict: false, rounds: undefined, only: undefined }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a === '--json') args.json = true
    else if (a === '--quick') args.quick = true
    else if (a === '--strict') args.strict = true
    else if (a === '--rounds') {
      args.rounds = Number(argv[++i])
      if (!Number.isInteger(args.rounds) || args.rounds < 1) usage('--rounds needs a whole number >= 1')
    }
    else if (a === '--only' || a.startsWith('--only=')) {
      const list = a === '--only' ? argv[++i] : a.slice('--only='.length)
      if (list === undefined || list === '') usage('--only needs a list')
      args.only = new Set(list.split(',').map((s) => {
        const name = ALIASES[s.trim()] ?? s.trim()
        if (!(SECTIONS as readonly string[]).includes(name)) usage(`unknown benchmark "${s}"`)
        return name
      }))
    } else usage(`unknown argument "${a}"`)
  }
  return args
}

/** A sibling bench module that may not exist yet (other benches land separately): undefined, with a note, if it fails to load. */
async function load (name: string, notes: string[]): Promise<Record<string, unknown> | undefined> {
  try {
    return await import(`./${name}.js`) as Record<string, unknown>
  } catch (err) {
    notes.push(`${name}: skipped, bench/${name}.ts did not load (${(err as Error).message.split('\n')[0]})`)
    return undefined
  }
}

type Runner = (workDir: string, args: Args, notes: string[]) => Promise<Figure[]>

const RUNNERS: Record<Section, Runner> = {
  store: async (workDir, args) => {
    const { benchStore } = await import('./store.js')
    return await benchStore(join(workDir, 'store'), { quick: args.quick, rounds: args.rounds })
  },
  preview: async (workDir, args, notes) => {
    const mod = await load('preview', notes)
    if (typeof mod?.benchPreviews !== 'function') {
      if (mod !== undefined) notes.push('preview: skipped, bench/preview.ts has no benchPreviews')
      return []
    }
    return await (mod.benchPreviews as (dir: string, opts: { quick: boolean }) => Promise<Figure[]>)(join(workDir, 'preview'), { quick: args.quick })
  },
  datachannel: async (_workDir, args, notes) => {
    const mod = await load('datachannel', notes)
    if (mod === undefined) return []
    const bytes = (args.quick ? 32 : 256) * 1024 * 1024
    if (typeof mod.datachannelFigures === 'function') return await (mod.datachannelFigures as (b: number) => Promise<Figure[]>)(bytes)
    if (typeof mod.benchRawDataChannel !== 'function' || typeof mod.benchTransport !== 'function') {
      notes.push('datachannel: skipped, bench/datachannel.ts exports neither datachannelFigures nor benchRawDataChannel/benchTransport')
      return []
    }
    const raw = await (mod.benchRawDataChannel as (b: number) => Promise<number>)(bytes)
    const transport = await (mod.benchTransport as (b: number) => Promise<number>)(bytes)
    return [
      { name: 'node-datachannel raw', value: raw, unit: 'MB/s' },
      { name: 'webrtcTransport', value: transport, unit: 'MB/s', compare: { name: 'raw node-datachannel', value: raw, unit: 'MB/s' } }
    ]
  },
  sync: async (workDir, args, notes) => {
    const mod = await load('sync', notes)
    if (typeof mod?.benchSync !== 'function') {
      if (mod !== undefined) notes.push('sync: skipped, bench/sync.ts has no benchSync')
      return []
    }
    const result = await (mod.benchSync as (dir: string, opts: { quick: boolean, rounds?: number }) => Promise<Figure[] | number>)(join(workDir, 'sync'), { quick: args.quick, rounds: args.rounds })
    return typeof result === 'number' ? [{ name: 'sync', value: result, unit: 'MB/s' }] : result
  },
  schedule: async (workDir, args) => {
    const { benchSchedule } = await import('./schedule.js')
    return await benchSchedule(join(workDir, 'schedule'), { quick: args.quick })
  },
  selective: async (workDir, args) => await (await import('./selective.js')).benchSelective(join(workDir, 'selective'), { quick: args.quick }),
  build: async (workDir, args) => await (await import('./build.js')).benchBuild(join(workDir, 'build'), { quick: args.quick }),
  'serve-rss': async (workDir, args) => await (await import('./serve-rss.js')).benchServeRss(join(workDir, 'serve-rss'), { quick: args.quick }),
  git: async (workDir, args) => await (await import('./git.js')).benchGit(join(workDir, 'git'), { quick: args.quick }),
  netns: async (workDir, args) => await (await import('./netns.js')).benchNetns(join(workDir, 'netns'), { quick: args.quick }),
  tcp: async (workDir, args) => await (await import('./tcp.js')).benchTcp(join(workDir, 'tcp'), { quick: args.quick, rounds: args.rounds }),
  flood: async (workDir, args) => await (await import('./flood.js')).benchFlood(join(workDir, 'flood'), { quick: args.quick }),
  e2e: async (workDir, args) => await (await import('./e2e.js')).benchE2e(join(workDir, 'e2e'), { quick: args.quick }),
  acl: async (workDir, args) => await (await import('./acl.js')).benchAcl(join(workDir, 'acl'), { quick: args.quick, rounds: args.rounds }),
  cli: async (workDir, args) => await (await import('./cli.js')).benchCli(join(workDir, 'cli'), { quick: args.quick }),
  scale: async (workDir, args) => await (await import('./scale.js')).benchScale(join(workDir, 'scale'), { quick: args.quick }),
  ingest: async (workDir, args) => await (await import('./ingest-cli.js')).benchIngestCli(join(workDir, 'ingest'), { quick: args.quick }),
  restore: async (workDir, args) => await (await import('./restore.js')).benchRestore(join(workDir, 'restore'), { quick: args.quick }),
  'webrtc-cpu': async (workDir, args) => await (await import('./webrtc-cpu.js')).benchWebrtcCpu(join(workDir, 'webrtc-cpu'), { quick: args.quick })
}

interface SectionResult { figures: Figure[], notes: string[], errors: string[] }

/** Marks the child's one JSON line on stdout, so stray prints of a benchmark cannot be mistaken for it. */
const RESULT_PREFIX = 'GAS-BENCH-RESULT '

/** Runs one section in this process (the child side of runSectionIsolated). */
async function runSection (section: Section, workDir: string, args: Args): Promise<SectionResult> {
  const notes: string[] = []
  const errors: string[] = []
  let figures: Figure[] = []
  try {
    await mkdir(join(workDir, section), { recursive: true })
    figures = await RUNNERS[section](workDir, args, notes)
  } catch (err) {
    errors.push(`${section}: failed: ${(err as Error).stack ?? String(err)}`)
  }
  return { figures, notes, errors }
}

/**
 * Each section runs in its own node process: native WebRTC threads left running by one benchmark
 * have crashed the process at exit or on a late timer, and that must cost only that section's
 * figures. The child prints its result as one marked line as soon as the section ends.
 */
async function runSectionIsolated (section: Section, workDir: string, args: Args): Promise<SectionResult> {
  // why: the sync section's in-process figures stand for an app embedding gas, started with GAS_NODE_FLAGS as the README recommends
  const flags = section === 'sync' ? GAS_NODE_FLAGS.filter((f) => !process.execArgv.includes(f)) : []
  const childArgs = [...process.execArgv, ...flags, fileURLToPath(import.meta.url), '--section', section, '--workdir', workDir]
  if (args.quick) childArgs.push('--quick')
  if (args.rounds !== undefined) childArgs.push('--rounds', String(args.rounds))
  const child = spawn(process.execPath, childArgs, { stdio: ['ignore', 'pipe', 'inherit'] })
  let stdout = ''
  child.stdout.setEncoding('utf8').on('data', (s: string) => { stdout += s })
  const status = await new Promise<string>((resolve) => child.on('close', (code, signal) => resolve(signal ?? String(code))))
  const line = stdout.split('\n').find((l) => l.startsWith(RESULT_PREFIX))
  if (line === undefined) return { figures: [], notes: [], errors: [`${section}: the benchmark process ended (${status}) without a result`] }
  const result = JSON.parse(line.slice(RESULT_PREFIX.length)) as SectionResult
  if (status !== '0') result.notes.push(`${section}: the benchmark process ended with ${status} after reporting its figures`)
  return result
}

async function childMain (argv: string[]): Promise<void> {
  const section = argv[argv.indexOf('--section') + 1] as Section
  const workDir = argv[argv.indexOf('--workdir') + 1]
  const rounds = argv.includes('--rounds') ? Number(argv[argv.indexOf('--rounds') + 1]) : undefined
  const args: Args = { json: true, quick: argv.includes('--quick'), strict: false, rounds, only: undefined }
  const result = await runSection(section, workDir, args)
  process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(result)}\n`, () => process.exit(0))
}

async function main (): Promise<void> {
  const argv = process.argv.slice(2)
  if (argv.includes('--section')) return await childMain(argv)
  const args = parseArgs(argv)
  const started = performance.now()
  const workDir = await mkdtemp(join(tmpdir(), 'gas-bench-'))
  const figures: Figure[] = []
  const notes: string[] = []
  const errors: string[] = []
  const out = (line: string): void => { if (!args.json) process.stdout.write(`${line}\n`) }
  try {
    for (const section of SECTIONS) {
      if (args.only !== undefined && !args.only.has(section)) continue
      process.stderr.write(`== ${section}\n`)
      const t = performance.now()
      const result = await runSectionIsolated(section, workDir, args)
      for (const f of result.figures) out(formatFigure(f))
      for (const e of result.errors) process.stderr.write(`${e}\n`)
      figures.push(...result.figures)
      notes.push(...result.notes)
      errors.push(...result.errors)
      process.stderr.write(`== ${section} took ${((performance.now() - t) / 1000).toFixed(1)} s\n`)
    }
  } finally {
    await rm(workDir, { recursive: true, force: true })
  }
  const seconds = (performance.now() - started) / 1000
  const failed = figures.filter((f) => f.pass === false)
  if (args.json) {
    const machine = { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', memoryBytes: totalmem(), node: process.version, date: new Date().toISOString() }
    process.stdout.write(JSON.stringify({ figures, machine, quick: args.quick, seconds, notes, errors }, null, 2) + '\n')
  } else {
    for (const n of notes) out(`note: ${n}`)
    out(`${figures.length} figures, ${failed.length} below their floor, ${errors.length} benchmarks failed, ${seconds.toFixed(0)} s`)
  }
  for (const n of notes) process.stderr.write(`note: ${n}\n`)
  process.exitCode = errors.length > 0 || (args.strict && failed.length > 0) ? 1 : 0
}

await main()
