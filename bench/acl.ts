import { spawn, type ChildProcess } from 'node:child_process'
import { cp, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as gas from '../src/index.js'
import { writeRandomFile } from '../test/fixtures/project.js'
import { formatFigure, type Figure } from './figure.js'

/**
 * Read-rights figures (issue 15, "ACL checks add ≤ 3% to a 1 GiB sync's time, with a 50-rule
 * policy"), measured as users run it: `gas serve` in one folder, `gas sync --once` in a fresh
 * joined folder, both started as bin/gas, found through a tracker on 127.0.0.1 (the sync takes the
 * direct TCP path when it works, as it does for a user). The same 1 GiB project (1024 files of
 * 1 MiB in 32 folders) is served from two copies of one workspace: one with a signed team policy of
 * 50 read rules that all apply to the member (none denies what it fetches, so both move the same
 * bytes), one with no policy. Each round runs both, alternating which goes first, with a new `gas
 * serve` for every sync (nothing is warm in memory from the last). The first policy sync builds the
 * read index (and keeps it in .gas/cache/read-index, as any serve does); later serves of the same
 * policy, roles and refs load it. The floor's figure is the best of the rounds, since on a shared
 * machine noise only ever adds time; the first (cold) policy sync is reported beside its pair.
 * The serving process's CPU time is reported too (from /proc): load inflates wall time, not that.
 */

const MiB = 1024 * 1024
const GAS_BIN = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'gas')
const EXTENSIONS = ['bin', 'pak', 'dat', 'cache', 'uasset', 'blob']

/** 50 read rules for every member, of every path form, none matching the project's files. */
export function fiftyReadRules (): unknown[] {
  const rules: unknown[] = []
  for (let i = 0; i < 15; i++) rules.push({ deny: [`secret/area${i}/`] })
  for (let i = 0; i < 10; i++) rules.push({ deny: [`Assets/**/private${i}/**`] })
  for (let i = 0; i < 10; i++) rules.push({ deny: [`*.raw${i}`] })
  for (let i = 0; i < 5; i++) rules.push({ kinds: ['build'], deny: [`nightly${i}@*/**`] })
  for (let i = 0; i < 5; i++) rules.push({ deny: [`ext:psd${i},blend${i}`] })
  for (let i = 0; i < 4; i++) rules.push({ kinds: ['texture', 'model'], deny: [`folder:Art/Source${i}`], metadata: false })
  rules.push({ allow: ['Assets/'] })
  return rules
}

interface Run { seconds: number, fetchSeconds: number, serveCpu: number }

/** user + system CPU seconds of a live process, from /proc (clock ticks of 1/100 s on Linux) */
async function cpuSecondsOf (pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) / 100
}

async function runGas (cwd: string, args: string[]): Promise<{ status: number | string, stdout: string, stderr: string }> {
  const child = spawn(process.execPath, [GAS_BIN, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d })
  child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d })
  const status = await new Promise<number | string>((resolve) => child.on('close', (code, signal) => resolve(code ?? signal ?? 'unknown')))
  return { status, stdout, stderr }
}

async function startServe (dir: string): Promise<ChildProcess> {
  const server = spawn(process.execPath, [GAS_BIN, 'serve'], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] })
  await new Promise<void>((resolve, reject) => {
    let said = ''
    server.stderr!.on('data', (d: Buffer) => {
      said += d.toString()
      if (said.includes('serving')) resolve()
    })
    server.on('exit', (code) => reject(new Error(`gas serve exited with ${code}: ${said.slice(0, 300)}`)))
  })
  return server
}

async function stopServe (server: ChildProcess): Promise<void> {
  const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()))
  server.kill('SIGTERM')
  await exited
}

/** One `gas sync --once` of a fresh copy of the joined member's folder from `gas serve` in `seedDir`. */
async function syncOnce (seedDir: string, memberTemplate: string, workDir: string, bytes: number): Promise<Run> {
  const mine = await mkdtemp(join(workDir, 'member-'))
  await cp(memberTemplate, mine, { recursive: true })
  const server = await startServe(seedDir)
  try {
    const cpuBefore = await cpuSecondsOf(server.pid!)
    const started = performance.now()
    const sync = await runGas(mine, ['sync', '--once', '--json'])
    const seconds = (performance.now() - started) / 1000
    const serveCpu = await cpuSecondsOf(server.pid!) - cpuBefore
    if (sync.status !== 0) throw new Error(`gas sync exited with ${sync.status}: ${sync.stderr.slice(0, 500)}`)
    const result = JSON.parse(sync.stdout) as { fetched: { bytes: number }, missing: number, accessDenied: unknown[], seconds: { fetch: number } }
    if (result.missing > 0 || result.accessDenied.length > 0 || result.fetched.bytes < bytes) throw new Error(`gas sync fetched ${result.fetched.bytes} of ${bytes} bytes: ${sync.stdout.slice(0, 500)}`)
    return { seconds, fetchSeconds: result.seconds.fetch, serveCpu }
  } finally {
    await stopServe(server)
    await rm(mine, { recursive: true, force: true })
  }
}

const best = (runs: Run[], key: keyof Run): number => Math.min(...runs.map((r) => r[key]))

export async function benchAcl (workDir: string, opts: { quick?: boolean, rounds?: number, files?: number } = {}): Promise<Figure[]> {
  const files = opts.files ?? (opts.quick === true ? 64 : 1024)
  const rounds = opts.rounds ?? (opts.quick === true ? 1 : 3)
  const bytes = files * MiB
  await mkdir(workDir, { recursive: true })
  const root = await mkdtemp(join(workDir, 'acl-'))
  const plainDir = join(root, 'seed-plain')
  const policyDir = join(root, 'seed-policy')
  const memberTemplate = join(root, 'member')
  await mkdir(plainDir, { recursive: true })
  await mkdir(memberTemplate, { recursive: true })
  const tracker = await gas.startTracker({ port: 0, host: '127.0.0.1' })
  try {
    const seed = await gas.init({ dir: plainDir, name: 'seed', team: 'bench', previewer: async () => [] })
    seed.config = { ...seed.config, trackers: [tracker.url] }
    await seed.saveConfig()
    for (let i = 0; i < files; i++) {
      await mkdir(join(plainDir, 'Assets', `area${i % 32}`), { recursive: true })
      await writeRandomFile(join(plainDir, 'Assets', `area${i % 32}`, `file${i}.${EXTENSIONS[i % EXTENSIONS.length]}`), MiB, `acl${i}`)
    }
    await gas.add(seed, { paths: [join(plainDir, 'Assets')] })
    await gas.commit(seed, { message: 'project' })
    // why: a lead wants every file (selective sync's preset), so both sides fetch the same bytes; the rules name no role, so they apply to it
    const member = await gas.init({ dir: memberTemplate, name: 'me' })
    await gas.joinTeam(member, JSON.stringify(await gas.createInvite(seed, { publicKey: member.identity.publicKey, name: 'me', roles: ['lead'] })))
    await seed.close()
    await member.close()
    await cp(plainDir, policyDir, { recursive: true })
    const withPolicy = await gas.open({ dir: policyDir })
    try {
      await gas.setTeamPolicy(withPolicy, JSON.stringify({ version: 1, read: fiftyReadRules() }))
    } finally {
      await withPolicy.close()
    }

    const runs: Record<'plain' | 'policy', Run[]> = { plain: [], policy: [] }
    for (let round = 0; round < rounds; round++) {
      // why: alternate which goes first, so a slower minute of the machine does not favour one side
      const order: Array<'plain' | 'policy'> = round % 2 === 0 ? ['plain', 'policy'] : ['policy', 'plain']
      for (const which of order) {
        runs[which].push(await syncOnce(which === 'policy' ? policyDir : plainDir, memberTemplate, root, bytes))
        if (process.env.GAS_BENCH_VERBOSE !== undefined) console.error(which, JSON.stringify(runs[which].at(-1)))
      }
    }
    const size = `${(bytes / 1024 / MiB).toFixed(2)} GiB (${files} files)`
    const note = rounds > 1 ? `best of ${rounds}, interleaved` : 'one round'
    const cold = runs.policy[0]
    const coldPair = runs.plain[0]
    const policySeconds = best(runs.policy, 'seconds')
    const plainSeconds = best(runs.plain, 'seconds')
    return [
      { name: `acl: gas serve → gas sync --once of ${size}, member restricted by a 50-rule read policy: whole command (${note})`, value: policySeconds, unit: 's', compare: { name: 'same sync from a copy with no read policy, same run', value: plainSeconds, unit: 's' }, floor: '<= 1.03x without', pass: policySeconds <= 1.03 * plainSeconds },
      { name: `acl: the same syncs, fetch phase as gas sync --json reports it (${note})`, value: best(runs.policy, 'fetchSeconds'), unit: 's', compare: { name: 'no read policy', value: best(runs.plain, 'fetchSeconds'), unit: 's' } },
      { name: `acl: the same syncs, CPU time of gas serve (${note})`, value: best(runs.policy, 'serveCpu'), unit: 'CPU s', compare: { name: 'no read policy', value: best(runs.plain, 'serveCpu'), unit: 'CPU s' } },
      { name: 'acl: the first policy sync, which builds the read index (whole command; its serve CPU)', value: cold.seconds, unit: 's', compare: { name: `the plain sync of the same round (serve CPU ${cold.serveCpu.toFixed(2)} vs ${coldPair.serveCpu.toFixed(2)} s)`, value: coldPair.seconds, unit: 's' } }
    ]
  } finally {
    await tracker.close()
    await rm(root, { recursive: true, force: true })
  }
}

const thisFile = fileURLToPath(import.meta.url).replace(/\.ts$/, '.js')
// `node dist/bench/acl.js [--quick] [--rounds N] [--files N]`
if (process.argv[1] !== undefined && resolve(process.argv[1]).replace(/\.ts$/, '.js') === thisFile) {
  const workDir = await mkdtemp(join((await import('node:os')).tmpdir(), 'gas-bench-acl-'))
  try {
    const i = process.argv.indexOf('--rounds')
    const f = process.argv.indexOf('--files')
    const figures = await benchAcl(workDir, { quick: process.argv.includes('--quick'), rounds: i < 0 ? undefined : Number(process.argv[i + 1]), files: f < 0 ? undefined : Number(process.argv[f + 1]) })
    for (const f of figures) console.log(formatFigure(f))
  } finally {
    await rm(workDir, { recursive: true, force: true })
  }
  process.exit()
}
