import { spawn } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as gas from '../../src/index.js'
import { createInvite, joinTeam } from '../../src/auth/invite.js'
import { startTracker, type RunningTracker } from '../../src/peer/discovery/tracker.js'
import { GAS_BIN, type CliResult } from '../helpers/cli.js'
import { useTmp } from '../helpers/tmp.js'
import { pseudoRandomBytes } from './helpers.js'
import { startGas } from './processes.js'

const tmp = useTmp()
const VERSIONS = 10

let tracker: RunningTracker
beforeAll(async () => { tracker = await startTracker({ port: 0, host: '127.0.0.1' }) })
afterAll(async () => { await tracker.close() })

/** A real `gas` process, awaited without blocking this one (commits and syncs run side by side). */
async function gas$ (cwd: string, args: string[]): Promise<CliResult> {
  const child = spawn(process.execPath, [GAS_BIN, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (s: string) => { stdout += s })
  child.stderr.setEncoding('utf8').on('data', (s: string) => { stderr += s })
  const status = await new Promise<number>((resolve) => child.once('close', (code) => resolve(code ?? -1)))
  return { status, stdout, stderr }
}

/** version n's files: a counter and a block of bytes that changes with it */
function writeVersion (dir: string, n: number): void {
  writeFileSync(join(dir, 'counter.txt'), String(n))
  writeFileSync(join(dir, 'data.bin'), pseudoRandomBytes(`v${n}`, 200_000 + n * 1000))
}

/** The version a workspace is at, by its commit message, checked against its files. */
async function consistentVersion (dir: string): Promise<number> {
  const ws = await gas.open({ dir })
  try {
    const [head] = await gas.log(ws, { limit: 1 })
    const n = Number(/^v(\d+)$/.exec(head?.message ?? '')?.[1])
    expect(readFileSync(join(dir, 'counter.txt'), 'utf8')).toBe(String(n))
    expect(readFileSync(join(dir, 'data.bin')).equals(pseudoRandomBytes(`v${n}`, 200_000 + n * 1000))).toBe(true)
    return n
  } finally {
    await ws.close()
  }
}

describe('sync beside a working member (real processes)', () => {
  it(`a serve, ${VERSIONS} commits made beside it, and a third process syncing meanwhile: each sync is complete at a consistent version or says E_SYNC_INCOMPLETE; the last is identical`, async () => {
    const ana = await gas.init({ dir: tmp(), name: 'ana', team: 'orcs' })
    ana.config = { ...ana.config, trackers: [tracker.url] }
    await ana.saveConfig()
    const bo = await gas.init({ dir: tmp(), name: 'bo' })
    // a lead fetches all content (the artist preset would leave .txt and .bin files out)
    await joinTeam(bo, JSON.stringify(await createInvite(ana, { publicKey: bo.identity.publicKey, name: 'bo', roles: ['lead'] })))
    writeVersion(ana.root, 0)
    await gas.add(ana, { paths: [ana.root] })
    await gas.commit(ana, { message: 'v0' })
    await ana.close()
    await bo.close()

    const serve = startGas(ana.root, ['serve'])
    try {
      await serve.waitFor(/^serving/)
      let committing = true
      const commits = (async () => {
        try {
          for (let n = 1; n <= VERSIONS; n++) {
            writeVersion(ana.root, n)
            const added = await gas$(ana.root, ['add', 'counter.txt', 'data.bin'])
            expect(added.status, added.stderr).toBe(0)
            const committed = await gas$(ana.root, ['commit', '-m', `v${n}`])
            expect(committed.status, committed.stderr).toBe(0)
          }
        } finally {
          committing = false
        }
      })()
      const outcomes: string[] = []
      let last = -1
      while (committing) {
        const r = await gas$(bo.root, ['sync', '--once', '--json'])
        const doc = JSON.parse(r.stdout)
        if (r.status === 0) {
          expect(doc.complete).toBe(true)
          const n = await consistentVersion(bo.root)
          // versions only move forward
          expect(n).toBeGreaterThanOrEqual(last)
          last = n
          outcomes.push(`v${n}`)
        } else {
          // objects a commit in progress had not written yet, or (before trust-local) a serve blind to new packs
          expect(JSON.parse(r.stderr).error.code, r.stderr).toBe('E_SYNC_INCOMPLETE')
          expect(doc).toMatchObject({ complete: false, error: { code: 'E_SYNC_INCOMPLETE' } })
          outcomes.push('incomplete')
        }
      }
      await commits
      process.stderr.write(`syncs while committing: ${outcomes.join(' ')}\n`)
      expect(outcomes.length).toBeGreaterThan(1)

      const final = await gas$(bo.root, ['sync', '--once', '--json'])
      expect(final.status, final.stderr).toBe(0)
      expect(JSON.parse(final.stdout)).toMatchObject({ complete: true, missing: 0 })
      expect(await consistentVersion(bo.root)).toBe(VERSIONS)
      const [anaWs, boWs] = [await gas.open({ dir: ana.root }), await gas.open({ dir: bo.root })]
      expect(await boWs.head()).toBe(await anaWs.head())
      await anaWs.close()
      await boWs.close()
    } finally {
      expect(await serve.stop()).toBe(0)
    }
  }, 300_000)
})
