import { mkdtemp, rm } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ReadGate } from '../src/auth/read-gate.js'
import { buildReadIndex } from '../src/auth/read-index.js'
import { RoleReader, parseReadRules, type ReadPolicy } from '../src/auth/read-rights.js'
import type { AssetKind } from '../src/objects/asset.js'
import { realFs } from '../src/objects/fs.js'
import { FileStore } from '../src/pack/file-store.js'
import { connectPair } from '../src/peer/transport/webrtc-transport.js'
import { RefStore } from '../src/refs/ref-store.js'
import { pseudoRandomBytes, setRef, writeAsset, writeTree, writeVersion, type WrittenAsset } from '../test/net/helpers.js'
import { formatFigure, type Figure } from './figure.js'
import { fetchFrom } from './sync.js'

/**
 * Read-rights figures (issue 15, "ACL checks add ≤ 3% to a 1 GiB sync's time, with a 50-rule
 * policy"): the same project (256 files of 1 MiB in 32 folders by default, so the section runs in
 * about a minute; `--files 1024` for the issue's 1 GiB) synced over WebRTC on
 * 127.0.0.1 by a member the policy restricts (every rule applies to it and none denies what it
 * fetches, so both runs move the same bytes) and with no policy at all, alternately, in the same
 * run; each figure is the median of the rounds. The serving peer's CPU time is reported too:
 * on a shared machine wall time also carries other processes' load.
 */

const MiB = 1024 * 1024

/** 50 rules for every member, of every path form, none matching the project's files. */
export function fiftyReadRules (): ReadPolicy {
  const rules: unknown[] = []
  for (let i = 0; i < 15; i++) rules.push({ deny: [`secret/area${i}/`] })
  for (let i = 0; i < 10; i++) rules.push({ deny: [`Assets/**/private${i}/**`] })
  for (let i = 0; i < 10; i++) rules.push({ deny: [`*.raw${i}`] })
  for (let i = 0; i < 5; i++) rules.push({ kinds: ['build'], deny: [`nightly${i}@*/**`] })
  for (let i = 0; i < 5; i++) rules.push({ deny: [`ext:psd${i},blend${i}`] })
  for (let i = 0; i < 4; i++) rules.push({ kinds: ['texture', 'model'], deny: [`folder:Art/Source${i}`], metadata: false })
  rules.push({ allow: ['Assets/'] })
  return parseReadRules(rules)
}

const KINDS: AssetKind[] = ['texture', 'model', 'audio', 'code', 'engine', 'other']

async function seedProject (dir: string, files: number, fileBytes: number): Promise<{ store: FileStore, refs: RefStore, version: string, assets: WrittenAsset[] }> {
  const store = await FileStore.open(dir)
  const assets: WrittenAsset[] = []
  for (let i = 0; i < files; i++) {
    assets.push(await writeAsset(store, { path: `Assets/area${i % 32}/file${i}.bin`, bytes: pseudoRandomBytes(`acl${i}`, fileBytes), kind: KINDS[i % KINDS.length] }))
  }
  const version = await writeVersion(store, { tree: await writeTree(store, assets) })
  await store.flush()
  const refs = new RefStore(realFs, await mkdtemp(join(dir, 'refs-')))
  await setRef(refs, 'refs/heads/main', version)
  return { store, refs, version, assets }
}

function cpuMs (): number {
  const { user, system } = process.cpuUsage()
  return (user + system) / 1000
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]

export async function benchAcl (workDir: string, opts: { quick?: boolean, rounds?: number, files?: number } = {}): Promise<Figure[]> {
  const files = opts.files ?? (opts.quick === true ? 64 : 256)
  const rounds = opts.rounds ?? (opts.quick === true ? 1 : 3)
  const seedDir = await mkdtemp(join(workDir, 'acl-seed-'))
  const seed = await seedProject(seedDir, files, MiB)
  const policy = fiftyReadRules()
  const size = `${(files * MiB / 1024 / MiB).toFixed(2)} GiB (${files} files)`
  try {
    // the index alone: what a member's first request costs the serving peer
    const reader = new RoleReader(policy, ['programmer'])
    const indexStart = performance.now()
    const index = await buildReadIndex(seed.store, [seed.version], reader)
    const indexMs = performance.now() - indexStart
    if (index.assets.allowed !== files) throw new Error(`the bench policy denied ${index.assets.denied} assets`)

    const runs: Record<'none' | 'policy', Array<{ seconds: number, cpu: number }>> = { none: [], policy: [] }
    for (let round = 0; round < rounds; round++) {
      // why: alternate which goes first, so a slower minute of the machine does not favour one side
      const order: Array<'none' | 'policy'> = round % 2 === 0 ? ['none', 'policy'] : ['policy', 'none']
      for (const which of order) {
        const gate = which === 'policy' ? new ReadGate({ store: seed.store, refs: seed.refs, policy: async () => policy }) : undefined
        const link = await connectPair({ labels: { a: 'me', b: 'seed' } })
        const mine = await mkdtemp(join(workDir, 'acl-me-'))
        const store = await FileStore.open(mine)
        try {
          const cpu = cpuMs()
          const run = await fetchFrom(workDir, [{ ...seed, version: undefined as never }], [link], store, { mayServe: gate?.mayServe })
          runs[which].push({ seconds: run.seconds, cpu: cpuMs() - cpu })
          if (gate !== undefined && gate.builds !== 1) throw new Error(`the read index was built ${gate.builds} times`)
        } finally {
          for (const t of link) t.close()
          await store.closeAll()
          await rm(mine, { recursive: true, force: true })
        }
        if (process.env.GAS_BENCH_VERBOSE !== undefined) console.error(which, JSON.stringify(runs[which].at(-1)))
      }
    }
    const withPolicy = median(runs.policy.map((r) => r.seconds))
    const without = median(runs.none.map((r) => r.seconds))
    const cpuWith = median(runs.policy.map((r) => r.cpu))
    const cpuWithout = median(runs.none.map((r) => r.cpu))
    const note = rounds > 1 ? ` (median of ${rounds} rounds)` : ''
    return [
      { name: `acl: sync of ${size} over WebRTC, requester restricted by a 50-rule read policy: time${note}`, value: withPolicy, unit: 's', compare: { name: 'same sync, no read policy, same run', value: without, unit: 's' }, floor: '<= 1.03x without', pass: withPolicy <= 1.03 * without },
      { name: `acl: the same syncs, CPU time of the process (both peers)${note}`, value: cpuWith / 1000, unit: 'CPU s', compare: { name: 'no read policy', value: cpuWithout / 1000, unit: 'CPU s' } },
      { name: `acl: building the read index of ${files} assets (50 rules, first request of a role)`, value: indexMs, unit: 'ms', compare: { name: 'the sync without policy', value: without * 1000, unit: 'ms' } }
    ]
  } finally {
    await seed.store.closeAll()
    await rm(seedDir, { recursive: true, force: true })
  }
}

const thisFile = fileURLToPath(import.meta.url).replace(/\.ts$/, '.js')
// `node dist/bench/acl.js [--quick] [--rounds N] [--files N]` (--files 1024: the 1 GiB)
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
  // why: node-datachannel's native threads keep the process alive after the last connection
  process.exit()
}
