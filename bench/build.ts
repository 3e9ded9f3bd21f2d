import { spawn, type ChildProcess } from 'node:child_process'
import { mkdir, open, rename, rm } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as gas from '../src/index.js'
import { createInvite, joinTeam } from '../src/auth/invite.js'
import { startTracker } from '../src/peer/discovery/tracker.js'
import { writeRandomFile } from '../test/fixtures/project.js'
import type { Figure } from './figure.js'

/**
 * Build distribution, measured through the CLI (real `gas` processes on 127.0.0.1, peers found through a tracker):
 * - `gas build publish` of a 1 GiB build vs `gas add` of the same folder (fresh stores, warm cache);
 * - `gas build fetch` of it by a tester with an empty store, from the lead's `gas serve`, beside
 *   `cp -r` of the same folder (what writing it costs on this disk);
 * - `gas build fetch` of build N+1 by a tester holding build N (5% changed: files replaced and an
 *   unaligned insert into the large file): bytes on the wire vs the changed bytes;
 * - `gas build verify` of the 1 GiB folder vs coreutils `sha256sum` over the same files.
 */

const MB = 1e6
const MiB = 1024 * 1024
const GAS_BIN = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'gas')

interface Run { status: number, stdout: string, stderr: string, seconds: number }

/** Runs a command to its end without blocking this process (the tracker lives here). */
async function run (cwd: string, command: string, args: string[]): Promise<Run> {
  const started = performance.now()
  const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (s: string) => { stdout += s })
  child.stderr.setEncoding('utf8').on('data', (s: string) => { stderr += s })
  const status = await new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)))
  return { status, stdout, stderr, seconds: (performance.now() - started) / 1000 }
}

async function gasRun (cwd: string, args: string[]): Promise<Run> {
  const r = await run(cwd, process.execPath, [GAS_BIN, ...args])
  if (r.status !== 0) throw new Error(`gas ${args.join(' ')} exited ${r.status}: ${r.stderr.slice(0, 400)}`)
  return r
}

function log (line: string): void {
  process.stderr.write(`build: ${line}\n`)
}

/** Copies `from` to `to` with `insert` random bytes inserted at `offset` (not chunk-aligned). */
async function insertInto (from: string, to: string, offset: number, insert: number): Promise<void> {
  await writeRandomFile(`${to}.insert`, insert, 'insert')
  const src = await open(from, 'r')
  const ins = await open(`${to}.insert`, 'r')
  const dst = await open(to, 'w')
  const buffer = Buffer.allocUnsafe(8 * MiB)
  try {
    const copy = async (handle: typeof src, limit: number): Promise<void> => {
      for (let done = 0; done < limit;) {
        const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, limit - done), null)
        if (bytesRead === 0) return
        await dst.write(buffer, 0, bytesRead)
        done += bytesRead
      }
    }
    await copy(src, offset)
    await copy(ins, insert)
    await copy(src, Number.MAX_SAFE_INTEGER)
  } finally {
    await Promise.all([src.close(), ins.close(), dst.close()])
    await rm(`${to}.insert`, { force: true })
  }
}

export async function benchBuild (workDir: string, opts: { quick: boolean }): Promise<Figure[]> {
  const total = (opts.quick ? 64 : 1024) * MiB
  const large = total / 2
  const smallCount = 40
  const small = Math.floor((total - large) / smallCount)
  const replaced = Math.max(1, Math.round(smallCount * 0.08))
  const inserted = Math.round(total * 0.05) - replaced * small
  const changedBytes = replaced * small + inserted
  const figures: Figure[] = []
  await mkdir(workDir, { recursive: true })
  const tracker = await startTracker({ port: 0, host: '127.0.0.1' })
  let server: ChildProcess | undefined
  try {
    const lead = await gas.init({ dir: join(workDir, 'lead'), name: 'lead', team: 'bench' })
    lead.config = { ...lead.config, trackers: [tracker.url] }
    await lead.saveConfig()
    const tester = await gas.init({ dir: join(workDir, 'tester'), name: 'tester' })
    await joinTeam(tester, JSON.stringify(await createInvite(lead, { publicKey: tester.identity.publicKey, name: 'tester', roles: ['qa'] })))
    await lead.close()
    await tester.close()
    const adder = join(workDir, 'adder')
    await mkdir(adder, { recursive: true })
    await gasRun(adder, ['init', '--name', 'adder'])

    log(`writing build N: ${(total / MiB).toFixed(0)} MiB (${smallCount} files of ${(small / MiB).toFixed(1)} MiB and one of ${(large / MiB).toFixed(0)} MiB)`)
    const out = join(workDir, 'lead', 'out')
    await mkdir(join(out, 'Data'), { recursive: true })
    await writeRandomFile(join(out, 'Data', 'world.pak'), large, 'world')
    for (let i = 0; i < smallCount; i++) await writeRandomFile(join(out, 'Data', `level${i}.pak`), small, `level${i}`)
    // the same bytes for `gas add`, in the adder's own workspace so both ingest into a fresh store
    const addDir = join(adder, 'out')
    await run(workDir, 'cp', ['-r', out, addDir])

    // warm the page cache for both folders, then time each ingest through the CLI
    await run(workDir, 'cat', ['-s', join(out, 'Data', 'world.pak')])
    const added = await gasRun(adder, ['add', 'out', '--json'])
    const publish = await gasRun(join(workDir, 'lead'), ['build', 'publish', 'out', '--name', 'game', '--version', '1', '--json'])
    const addSpeed = total / MB / added.seconds
    const publishSpeed = total / MB / publish.seconds
    figures.push({
      name: `build publish ${(total / MiB).toFixed(0)} MiB (gas build publish, warm cache)`,
      value: publishSpeed,
      unit: 'MB/s',
      compare: { name: 'gas add of the same files', value: addSpeed, unit: 'MB/s' },
      floor: '>= 1x gas add',
      pass: publishSpeed >= addSpeed
    })
    await rm(adder, { recursive: true, force: true })

    server = spawn(process.execPath, [GAS_BIN, 'serve'], { cwd: join(workDir, 'lead'), stdio: ['ignore', 'ignore', 'pipe'] })
    const dest = join(workDir, 'tester-game')
    log('tester fetches build N')
    const firstFetch = await gasRun(join(workDir, 'tester'), ['build', 'fetch', 'game@1', dest, '--json', '--wait', '60'])
    const first = JSON.parse(firstFetch.stdout) as { fetched: { bytes: number }, wire: { received: number } }
    const firstRun = first.fetched.bytes
    log(`build N: ${(firstRun / MB).toFixed(0)} MB fetched in ${firstFetch.seconds.toFixed(2)} s`)
    // what writing the same folder costs without any network or check: its floor on this disk
    await run(workDir, 'sync', [])
    const copied = await run(workDir, 'cp', ['-r', out, join(workDir, 'copied')])
    await rm(join(workDir, 'copied'), { recursive: true, force: true })
    figures.push({
      name: `build fetch ${(total / MiB).toFixed(0)} MiB, ${smallCount + 1} files (gas build fetch through the CLI, from a gas serve: fetched, checked, moved in; seconds)`,
      value: firstFetch.seconds,
      unit: 's',
      compare: { name: 'cp -r of the same folder on this disk, same run', value: copied.seconds, unit: 's' }
    })

    log(`build N+1: ${replaced} files replaced, ${(inserted / MiB).toFixed(1)} MiB inserted into world.pak at an unaligned offset`)
    for (let i = 0; i < replaced; i++) await writeRandomFile(join(out, 'Data', `level${i}.pak`), small, `level${i}-v2`)
    await insertInto(join(out, 'Data', 'world.pak'), join(out, 'Data', 'world.pak.new'), Math.floor(large / 3) + 12_345, inserted)
    await rename(join(out, 'Data', 'world.pak.new'), join(out, 'Data', 'world.pak'))
    await gasRun(join(workDir, 'lead'), ['build', 'publish', 'out', '--name', 'game', '--version', '2', '--json'])
    const second = JSON.parse((await gasRun(join(workDir, 'tester'), ['build', 'fetch', 'game@2', dest, '--json', '--wait', '60'])).stdout) as { fetched: { bytes: number }, wire: { received: number } }
    figures.push({
      name: 'build fetch N+1 after N: bytes on the wire (gas build fetch from a gas serve)',
      value: second.wire.received / MB,
      unit: 'MB',
      compare: { name: 'changed bytes', value: changedBytes / MB, unit: 'MB' },
      floor: '<= 1.1x changed bytes',
      pass: second.wire.received <= 1.1 * changedBytes
    })

    // verify: warm cache (the fetch just wrote the files), both over exactly the build's files
    await run(workDir, 'sh', ['-c', `cat ${JSON.stringify(dest)}/Data/* > /dev/null`])
    const verify = await gasRun(workDir, ['build', 'verify', dest, '--json'])
    const coreutils = await run(dest, 'sh', ['-c', 'find Data -type f -print0 | xargs -0 sha256sum > /dev/null'])
    if (coreutils.status !== 0) throw new Error(`sha256sum failed: ${coreutils.stderr}`)
    const buildBytes = total + inserted
    const verifySpeed = buildBytes / MB / verify.seconds
    const shaSpeed = buildBytes / MB / coreutils.seconds
    figures.push({
      name: `build verify ${(buildBytes / MiB).toFixed(0)} MiB (gas build verify, warm cache)`,
      value: verifySpeed,
      unit: 'MB/s',
      compare: { name: 'coreutils sha256sum', value: shaSpeed, unit: 'MB/s' },
      floor: '>= 2x sha256sum',
      pass: verifySpeed >= 2 * shaSpeed
    })
  } finally {
    server?.kill('SIGTERM')
    if (server !== undefined && server.exitCode === null) await new Promise((resolve) => server!.once('exit', resolve))
    await tracker.close()
  }
  return figures
}

/** `node dist/bench/build.js [--quick]`: this section alone. */
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { mkdtemp } = await import('node:fs/promises')
  const { tmpdir } = await import('node:os')
  const { formatFigure } = await import('./figure.js')
  const dir = await mkdtemp(join(tmpdir(), 'gas-bench-build-'))
  try {
    for (const f of await benchBuild(dir, { quick: process.argv.includes('--quick') })) process.stdout.write(`${formatFigure(f)}\n`)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
  process.exit(0)
}
