import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import type { ChildProcess } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTracker, type RunningTracker } from '../../src/peer/discovery/tracker.js'
import { prng } from '../fixtures/prng.js'
import { gasSpawn } from '../helpers/cli.js'
import { gasAsync, makeTeam, startServe, stopProcess } from '../helpers/team.js'
import { useTmp } from '../helpers/tmp.js'

const tmp = useTmp()

/**
 * why: each round runs real processes (a few seconds); npm test runs a few rounds, and
 * `GAS_KILL_ROUNDS=100 npx vitest run test/repo/random-kill.test.ts` is the long run.
 */
const ROUNDS = Number(process.env.GAS_KILL_ROUNDS ?? 4)
const SEED = Number(process.env.GAS_KILL_SEED ?? 1130)
/** a process still running this long after its round began is killed too (a sync waiting for a serve that was killed) */
const ROUND_DEADLINE_MS = 20_000

function exited (child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : once(child, 'exit').then(() => {})
}

async function fsckOk (dir: string): Promise<void> {
  const r = await gasAsync(dir, ['fsck', '--json'])
  expect({ dir, status: r.status, out: JSON.parse(r.stdout) }).toMatchObject({ status: 0, out: { ok: true, problems: [] } })
}

async function versionsOf (dir: string): Promise<string[]> {
  const r = await gasAsync(dir, ['log', '--json'])
  return r.status === 0 ? (JSON.parse(r.stdout).versions as Array<{ id: string }>).map((v) => v.id) : []
}

describe('random kills of add, commit, serve and sync running together', () => {
  let tracker: RunningTracker
  beforeAll(async () => { tracker = await startTracker({ port: 0, host: '127.0.0.1' }) })
  afterAll(async () => { await tracker.close() })

  it(`${ROUNDS} rounds (seed ${SEED}): both stores stay fsck-clean, no committed version is lost, and the last sync delivers the last version`, async () => {
    const random = prng(SEED)
    const [ana, bo] = await makeTeam([tmp(), tmp()], ['ana', 'bo'], tracker.url)
    await ana.close()
    await bo.close()
    const committed = { ana: new Set<string>(), bo: new Set<string>() }
    let serve: ChildProcess | undefined
    const kills: Record<string, number> = { add: 0, commit: 0, serve: 0, sync: 0 }
    for (let round = 0; round < ROUNDS; round++) {
      if (serve === undefined || serve.exitCode !== null || serve.signalCode !== null) serve = await startServe(ana.root)
      // new content every round: a large file with an edit at a random place, and a small new one
      writeFileSync(join(ana.root, 'big.bin'), randomBytes(2 * 1024 * 1024 + Math.floor(random() * 2 * 1024 * 1024)))
      writeFileSync(join(ana.root, `small-${round}.txt`), `round ${round}`)
      // SIGKILL a random choice of them, each at a random instant of its run: add or commit (the
      // chain add → commit, killed in one of them), serve, sync
      const killIn = (child: ChildProcess, kind: string, ms: number): void => {
        setTimeout(() => { if (child.exitCode === null && child.signalCode === null && child.kill('SIGKILL')) kills[kind]++ }, ms)
      }
      const killPhase = random() < 0.7 ? (random() < 0.5 ? 'add' : 'commit') : 'none'
      const killAt = Math.floor(random() * 800)
      let addCommit: ChildProcess = gasSpawn(ana.root, ['add', '.'])
      if (killPhase === 'add') killIn(addCommit, 'add', killAt)
      const chain = (async () => {
        await exited(addCommit)
        if (addCommit.exitCode === 0) {
          addCommit = gasSpawn(ana.root, ['commit', '-m', `round ${round}`])
          if (killPhase === 'commit') killIn(addCommit, 'commit', Math.floor(killAt / 2))
          await exited(addCommit)
        }
      })()
      const sync = gasSpawn(bo.root, ['sync', '--once', '--json'])
      if (random() < 0.6) killIn(sync, 'sync', Math.floor(random() * 1500))
      if (random() < 0.4) killIn(serve, 'serve', Math.floor(random() * 1500))
      const deadline = setTimeout(() => { addCommit.kill('SIGKILL'); sync.kill('SIGKILL') }, ROUND_DEADLINE_MS)
      await chain
      await exited(sync)
      clearTimeout(deadline)
      await fsckOk(ana.root)
      await fsckOk(bo.root)
      for (const [name, dir] of [['ana', ana.root], ['bo', bo.root]] as const) {
        const now = await versionsOf(dir)
        for (const v of committed[name]) expect(now, `${name} lost ${v} in round ${round}`).toContain(v)
        for (const v of now) committed[name].add(v)
      }
    }
    // nothing killed now: a last version, served and synced until it arrives whole
    if (serve === undefined || serve.exitCode !== null || serve.signalCode !== null) serve = await startServe(ana.root)
    try {
      writeFileSync(join(ana.root, 'last.txt'), 'last')
      expect((await gasAsync(ana.root, ['add', '.'])).status).toBe(0)
      const last = JSON.parse((await gasAsync(ana.root, ['commit', '-m', 'last', '--json'])).stdout).version as string
      let synced = false
      for (let i = 0; i < 10 && !synced; i++) {
        const r = await gasAsync(bo.root, ['sync', '--once', '--json'])
        synced = r.status === 0 && JSON.parse(r.stdout).missing === 0 && (await versionsOf(bo.root))[0] === last
      }
      expect(synced).toBe(true)
      expect(readFileSync(join(bo.root, 'big.bin')).equals(readFileSync(join(ana.root, 'big.bin')))).toBe(true)
      expect(readFileSync(join(bo.root, 'last.txt'), 'utf8')).toBe('last')
      for (const v of committed.ana) expect(await versionsOf(bo.root)).toContain(v)
      await fsckOk(ana.root)
      await fsckOk(bo.root)
    } finally {
      await stopProcess(serve)
    }
    console.log(`random-kill: ${ROUNDS} rounds, seed ${SEED}, SIGKILLs: ${JSON.stringify(kills)}`)
    // the kills happened
    expect(kills.add + kills.commit + kills.serve + kills.sync).toBeGreaterThan(0)
  }, 60_000 + ROUNDS * 30_000)
})
