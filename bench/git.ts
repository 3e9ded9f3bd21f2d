import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { delimiter, dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as gas from '../src/index.js'
import { parseSize } from '../src/units.js'
import { writeRandomFile } from '../test/fixtures/project.js'
import type { Figure } from './figure.js'

/**
 * Git integration, each figure against its baseline in the same run:
 *   - `git lfs pull` of one large LFS object through gas (the agent fetching from a `gas serve`)
 *     against `gas sync --once` fetching the same bytes from the same server, wall clock of each
 *     command as a user runs it (node start, discovery and writing the file out included in both);
 *   - `git clone gas://…` of a generated repository of 5 000 commits / 20 000 files against
 *     `git clone file://` of the same repository from a local bare one.
 */

const MB = 1e6
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
const GAS_BIN = join(ROOT, 'bin', 'gas')

interface Run { status: number | string, stdout: string, stderr: string, seconds: number }

/** Asynchronous: the tracker runs in this process and must answer the announces meanwhile. */
async function run (cmd: string, args: string[], opts: { cwd: string, env: NodeJS.ProcessEnv, input?: string }): Promise<Run> {
  const started = performance.now()
  const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ['pipe', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d })
  child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d })
  child.stdin.on('error', () => {})
  child.stdin.end(opts.input ?? '')
  const status = await new Promise<number | string>((resolve) => child.on('close', (code, signal) => resolve(code ?? signal ?? 'unknown')))
  return { status, stdout, stderr, seconds: (performance.now() - started) / 1000 }
}

async function must (what: string, result: Promise<Run>): Promise<Run> {
  const r = await result
  if (r.status !== 0) throw new Error(`${what} exited with ${r.status}: ${r.stderr.slice(-500)}`)
  return r
}

async function sha256File (path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const piece of createReadStream(path)) hash.update(piece as Buffer)
  return hash.digest('hex')
}

export async function benchGit (workDir: string, opts: { quick: boolean }): Promise<Figure[]> {
  const root = await mkdtemp(join(workDir, 'git-'))
  const home = join(root, 'home')
  await mkdir(home, { recursive: true })
  // why gc.auto 0 and maintenance.auto false (in this HOME, so for every repository and clone the bench makes): the
  // 5 000-commit history would start git's automatic gc in the background, sharing the cores with the figures (as bench/cli found)
  await writeFile(join(home, '.gitconfig'), '[user]\n\tname = Bench\n\temail = bench@example.com\n[init]\n\tdefaultBranch = main\n[gc]\n\tauto = 0\n[maintenance]\n\tauto = false\n')
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, GIT_CONFIG_NOSYSTEM: '1', PATH: `${join(ROOT, 'bin')}${delimiter}${process.env.PATH ?? ''}` }
  delete env.GAS_WORKSPACE
  const git = async (cwd: string, args: string[], extra: NodeJS.ProcessEnv = {}, input?: string): Promise<Run> => await must(`git ${args[0]}`, run('git', args, { cwd, env: { ...env, ...extra }, input }))
  const tracker = await gas.startTracker({ port: 0, host: '127.0.0.1' })
  const seedDir = join(root, 'seed')
  const figures: Figure[] = []
  let server: ReturnType<typeof spawn> | undefined
  try {
    // the seed: one large file in gas (for gas sync) and the same bytes as an LFS object (the chunks are shared)
    // GAS_BENCH_LFS_MIB: another size, for looking closer
    const bytes = Number(process.env.GAS_BENCH_LFS_MIB ?? (opts.quick ? 64 : 1024)) * 1024 * 1024
    const seed = await gas.init({ dir: seedDir, name: 'seed', team: 'bench', previewer: async () => [] })
    seed.config = { ...seed.config, trackers: [tracker.url] }
    await seed.saveConfig()
    const big = join(seedDir, 'level.pak')
    await writeRandomFile(big, bytes, 'git-lfs')
    await gas.add(seed, { paths: [big] })
    await gas.commit(seed, { message: 'level' })
    const oid = (await gas.lfs.storeLfsObject(seed, { path: big })).oid
    const members: string[] = []
    // leads: their rules want every kind, so gas sync brings the .pak as the LFS pull does
    for (const name of ['syncer', 'puller', 'cloner']) {
      const dir = join(root, name)
      const member = await gas.init({ dir, name, previewer: async () => [] })
      await gas.joinTeam(member, JSON.stringify(await gas.createInvite(seed, { publicKey: member.identity.publicKey, name, roles: ['lead'] })))
      await member.close()
      members.push(dir)
    }
    // a repository of pointers on a plain bare remote, as a team that keeps LFS pointers in git has
    const lfsRepo = join(root, 'lfs-repo')
    await git(root, ['init', '-q', lfsRepo])
    await writeFile(join(lfsRepo, '.gitattributes'), '*.pak filter=lfs diff=lfs merge=lfs -text\n')
    await writeFile(join(lfsRepo, 'level.pak'), `version https://git-lfs.github.com/spec/v1\noid sha256:${oid}\nsize ${bytes}\n`)
    await git(lfsRepo, ['add', '.'])
    await git(lfsRepo, ['commit', '-qm', 'level'])
    const bare = join(root, 'lfs-remote.git')
    await git(root, ['clone', '-q', '--bare', lfsRepo, bare])

    // the generated history, pushed to gas by the seed before it serves
    const source = join(root, 'history')
    const { commits, files } = opts.quick ? { commits: 500, files: 2000 } : { commits: 5000, files: 20000 }
    await generateHistory(git, source, commits, files)
    await git(source, ['remote', 'add', 'team', 'gas://bench/game'])
    await git(source, ['push', '-q', 'team', 'main'], { GAS_WORKSPACE: seedDir })
    await git(root, ['clone', '-q', '--bare', source, join(root, 'history.git')])
    await seed.close()

    server = spawn(process.execPath, [GAS_BIN, 'serve'], { cwd: seedDir, stdio: ['ignore', 'ignore', 'pipe'] })
    await new Promise<void>((resolve, reject) => {
      server?.stderr?.on('data', (d: Buffer) => { if (d.toString().includes('serving')) resolve() })
      server?.on('exit', (code) => reject(new Error(`gas serve exited with ${code}`)))
    })

    // gas sync of the same bytes, then git lfs pull through the agent
    const sync = await must('gas sync', run(process.execPath, [GAS_BIN, 'sync', '--once', '--json'], { cwd: members[0], env }))
    const synced = JSON.parse(sync.stdout) as { fetched: { bytes: number }, missing: number, seconds: { fetch: number } }
    if (synced.missing > 0 || synced.fetched.bytes < bytes) throw new Error(`gas sync fetched ${synced.fetched.bytes} of ${bytes} bytes`)
    const clone = join(root, 'lfs-clone')
    await git(root, ['clone', '-q', bare, clone], { GIT_LFS_SKIP_SMUDGE: '1' })
    await must('gas hook install', run(process.execPath, [GAS_BIN, 'hook', 'install', '--lfs'], { cwd: clone, env: { ...env, GAS_WORKSPACE: members[1] } }))
    // GIT_TRACE makes git-lfs show the agent's stderr, whose last line says how long its fetch took
    const pull = await git(clone, ['lfs', 'pull'], { GIT_TRACE: '1' })
    if (await sha256File(join(clone, 'level.pak')) !== oid) throw new Error('git lfs pull wrote different bytes')
    // the agent prints its size in human units (e.g. "1.1 GB"): rounded to 3 digits, fine for a rate
    const agentLine = /gas lfs-agent: .* ([\d.]+ ?[kMGT]?B) fetched from peers in ([\d.]+) s/.exec(pull.stderr)
    const syncRate = bytes / sync.seconds / MB
    const pullRate = bytes / pull.seconds / MB
    figures.push({
      name: `git lfs pull of a ${(bytes / 2 ** 30).toFixed(2)} GiB LFS object through gas (gas serve → gas lfs-agent, wall clock)`,
      value: pullRate,
      unit: 'MB/s',
      compare: { name: 'gas sync --once of the same bytes from the same server, wall clock, same run', value: syncRate, unit: 'MB/s' },
      floor: '>= 80% of gas sync',
      pass: pullRate >= 0.8 * syncRate
    })
    if (agentLine !== null) {
      // the transfer alone, beside sync's own fetch figure: what is left of the wall clock is git-lfs
      // moving, hashing and copying the object into the work tree, which gas sync does not do
      const agentRate = parseSize(agentLine[1]) / Number(agentLine[2]) / MB
      const syncFetchRate = synced.fetched.bytes / synced.seconds.fetch / MB
      figures.push({
        name: 'git lfs pull: the gas lfs-agent\'s fetch from the peer alone',
        value: agentRate,
        unit: 'MB/s',
        compare: { name: 'gas sync --once fetch phase (its --json seconds.fetch), same run', value: syncFetchRate, unit: 'MB/s' }
      })
    }

    const afterAgent = gitLfsAfterAgent(pull.stderr)
    if (afterAgent !== undefined) {
      // what the agent cannot speed up: git-lfs copies the object into the work tree, then `git
      // update-index --refresh` runs its clean filter over the new file (read, hash, temp copy)
      figures.push({
        name: 'git lfs pull: git-lfs\'s own work after the agent is done (work-tree copy, clean filter on update-index)',
        value: afterAgent,
        unit: 's',
        compare: { name: 'the whole git lfs pull, same run', value: pull.seconds, unit: 's' }
      })
    }

    // clones: file:// from the bare repository, then gas:// through the peers
    const plain = await git(root, ['clone', '-q', `file://${join(root, 'history.git')}`, join(root, 'clone-file')])
    const overGas = await git(root, ['clone', '-q', '-c', `gas.workspace=${members[2]}`, 'gas://bench/game', join(root, 'clone-gas')])
    const heads = await Promise.all(['clone-file', 'clone-gas'].map(async (d) => (await git(join(root, d), ['rev-parse', 'HEAD'])).stdout.trim()))
    if (heads[0] !== heads[1]) throw new Error(`the clones differ: ${heads.join(' vs ')}`)
    figures.push({
      name: `git clone gas://… of ${commits} commits / ${files} files (through a gas serve peer)`,
      value: overGas.seconds,
      unit: 's',
      compare: { name: 'git clone file:// from a local bare repository, same run', value: plain.seconds, unit: 's' },
      floor: '<= 3x git clone file://',
      pass: overGas.seconds <= 3 * plain.seconds
    })
    return figures
  } finally {
    server?.kill('SIGTERM')
    await tracker.close()
    await rm(root, { recursive: true, force: true })
  }
}

/** Seconds from the agent's last line to git's last trace line, read from GIT_TRACE's wall-clock stamps. */
function gitLfsAfterAgent (trace: string): number | undefined {
  const stamp = (line: string | undefined): number | undefined => {
    const m = line === undefined ? null : /^(\d\d):(\d\d):(\d\d\.\d+) /.exec(line)
    return m === null ? undefined : Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3])
  }
  const lines = trace.split('\n').filter((l) => /^\d\d:\d\d:\d\d\.\d+ /.test(l))
  const agentDone = stamp(lines.filter((l) => l.includes('gas lfs-agent:') && l.includes('fetched from peers')).at(-1))
  const end = stamp(lines.at(-1))
  if (agentDone === undefined || end === undefined) return undefined
  // a run across midnight
  return end >= agentDone ? end - agentDone : end + 86_400 - agentDone
}

/** `commits` commits adding `files` small text files in all (git fast-import: seconds, not minutes). */
async function generateHistory (git: (cwd: string, args: string[], extra?: NodeJS.ProcessEnv, input?: string) => Promise<Run>, dir: string, commits: number, files: number): Promise<void> {
  await git(dirname(dir), ['init', '-q', dir])
  const perCommit = Math.ceil(files / commits)
  const parts: string[] = []
  let made = 0
  for (let c = 0; c < commits; c++) {
    const message = `commit ${c}\n`
    parts.push(`commit refs/heads/main\ncommitter Bench <bench@example.com> ${1_700_000_000 + c} +0000\ndata ${Buffer.byteLength(message)}\n${message}`)
    for (let f = 0; f < perCommit && made < files; f++, made++) {
      const body = `// file ${made}, commit ${c}\n${`const value${made} = ${(made * 2654435761) % 1000003}\n`.repeat(4)}`
      parts.push(`M 100644 inline src/m${made % 100}/f${made}.ts\ndata ${Buffer.byteLength(body)}\n${body}\n`)
    }
  }
  await git(dir, ['fast-import', '--quiet'], {}, parts.join(''))
  await git(dir, ['reset', '-q', '--hard', 'main'])
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { formatFigure } = await import('./figure.js')
  const dir = await mkdtemp(join((await import('node:os')).tmpdir(), 'gas-bench-git-'))
  try {
    for (const f of await benchGit(dir, { quick: process.argv.includes('--quick') })) process.stdout.write(`${formatFigure(f)}\n`)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
  process.exit(0)
}
