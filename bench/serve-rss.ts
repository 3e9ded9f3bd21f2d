import { spawn } from 'node:child_process'
import { readFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as gas from '../src/index.js'
import type { Figure } from './figure.js'

const GAS_BIN = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'gas')

/** Resident memory of a live process now (VmRSS), in bytes. */
async function rssOf (pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  const kb = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1])
  if (!Number.isFinite(kb)) throw new Error(`no VmRSS for pid ${pid}`)
  return kb * 1024
}

/**
 * A long-running `gas serve` must not grow with the syncs it serves: a real serve process, a member
 * committing a small change before each sync (in this process, on the serve's workspace, as a
 * second process would), and an in-process `gas sync` against it. The serve's RSS after the last
 * sync is compared with its RSS after the 10th (start-up and warm-up are behind it by then).
 */
export async function benchServeRss (workDir: string, opts: { quick: boolean }): Promise<Figure[]> {
  const syncs = opts.quick ? 50 : 200
  const early = 10
  const root = await mkdtemp(join(workDir, 'serve-rss-'))
  const seedDir = join(root, 'seed')
  const memberDir = join(root, 'member')
  await mkdir(seedDir, { recursive: true })
  await mkdir(memberDir, { recursive: true })
  const tracker = await gas.startTracker({ port: 0, host: '127.0.0.1' })
  const seed = await gas.init({ dir: seedDir, name: 'seed', team: 'bench', previewer: async () => [] })
  seed.config = { ...seed.config, trackers: [tracker.url] }
  await seed.saveConfig()
  await writeFile(join(seedDir, 'notes.txt'), 'version 0')
  await gas.add(seed, { paths: [seedDir] })
  await gas.commit(seed, { message: 'v0' })
  await seed.store.flush()
  const member = await gas.init({ dir: memberDir, name: 'member', previewer: async () => [] })
  await gas.joinTeam(member, JSON.stringify(await gas.createInvite(seed, { publicKey: member.identity.publicKey, name: 'member', roles: ['qa'] })))
  const server = spawn(process.execPath, [GAS_BIN, 'serve'], { cwd: seedDir, stdio: ['ignore', 'ignore', 'pipe'] })
  let rssEarly = NaN
  let incomplete = 0
  try {
    await new Promise<void>((resolve, reject) => {
      server.stderr.on('data', (d: Buffer) => { if (d.toString().includes('serving')) resolve() })
      server.on('exit', (code) => reject(new Error(`gas serve exited with ${code}`)))
    })
    for (let i = 1; i <= syncs; i++) {
      await writeFile(join(seedDir, 'notes.txt'), `version ${i}`)
      await gas.add(seed, { paths: [join(seedDir, 'notes.txt')] })
      await gas.commit(seed, { message: `v${i}` })
      await seed.store.flush()
      const result = await gas.sync({ ws: member, trackers: [], security: gas.peerSecurity(member) })
      if (!result.complete) incomplete++
      if (i === early) rssEarly = await rssOf(server.pid ?? -1)
      if (i % 50 === 0) process.stderr.write(`serve-rss: ${i} syncs, serve RSS ${((await rssOf(server.pid ?? -1)) / 2 ** 20).toFixed(1)} MiB\n`)
    }
    const rssLate = await rssOf(server.pid ?? -1)
    const ratio = rssLate / rssEarly
    return [{
      name: `serve: gas serve RSS after ${syncs} syncs of small changes (${incomplete} incomplete)`,
      value: rssLate / 2 ** 20,
      unit: 'MiB',
      compare: { name: `its RSS after ${early} syncs, same run (ratio ${ratio.toFixed(3)})`, value: rssEarly / 2 ** 20, unit: 'MiB' },
      floor: '<= 1.2x the RSS after 10',
      pass: ratio <= 1.2
    }]
  } finally {
    server.kill('SIGTERM')
    await member.close()
    await seed.close()
    await tracker.close()
    await rm(root, { recursive: true, force: true })
  }
}
