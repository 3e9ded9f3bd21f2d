import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import * as gas from '../../src/index.js'
import { servePeers, syncWithPeers } from '../../src/peer/sync/peer-node.js'
import type { ServePulled } from '../../src/peer/sync/serve-pull.js'
import { startTracker, type RunningTracker } from '../../src/peer/discovery/tracker.js'
import { makeTeam } from '../helpers/team.js'
import { useTmp } from '../helpers/tmp.js'

const tmp = useTmp()
let tracker: RunningTracker
beforeAll(async () => { tracker = await startTracker({ port: 0, host: '127.0.0.1' }) })
afterAll(async () => { await tracker.close() })
const holders: ChildProcess[] = []
afterEach(async () => {
  for (const h of holders.splice(0)) {
    if (h.exitCode !== null || h.signalCode !== null) continue
    h.kill('SIGKILL')
    await once(h, 'exit')
  }
})

/** ana (lead, holding notes.txt v1) and bo, who synced it; ana then serves with `opts`. */
async function pair (opts: Partial<Parameters<typeof servePeers>[0]>): Promise<{ ana: gas.Workspace, bo: gas.Workspace, stop: () => Promise<void> }> {
  const [ana, bo] = await makeTeam([tmp(), tmp()], ['ana', 'bo'], tracker.url)
  writeFileSync(join(ana.root, 'notes.txt'), 'v1\n')
  await gas.add(ana, { paths: [join(ana.root, 'notes.txt')] })
  await gas.commit(ana, { message: 'notes' })
  await ana.store.flush()
  const controller = new AbortController()
  const serving = servePeers({ ws: ana, trackers: [], security: gas.peerSecurity(ana), signal: controller.signal, ...opts })
  expect((await syncWithPeers({ ws: bo, trackers: [], security: gas.peerSecurity(bo) })).complete).toBe(true)
  return { ana, bo, stop: async () => { controller.abort(); await serving } }
}

async function boCommits (bo: gas.Workspace, text: string): Promise<string> {
  writeFileSync(join(bo.root, 'sketch.txt'), text)
  await gas.add(bo, { paths: [join(bo.root, 'sketch.txt')] })
  const version = await gas.commit(bo, { message: 'sketch' })
  await bo.store.flush()
  return version
}

describe('a serve taking what a member has ahead (programmatic API)', () => {
  it('a command that takes the workspace while the serve takes: the branch moves, the files follow once it is free', async () => {
    const pulled: ServePulled[] = []
    let holder: ChildProcess | undefined
    const { ana, bo, stop } = await pair({
      // after the serve saw the workspace free, before it checks out: a command of ana's starts
      policy: async () => {
        holder ??= spawn(process.execPath, ['-e', 'setTimeout(() => {}, 120000)'], { stdio: 'ignore' })
        holders.push(holder)
        writeFileSync(join(ana.gasDir, 'workspace.lock'), JSON.stringify({ pid: holder.pid, command: 'gas restore big.pak', since: new Date().toISOString(), nonce: 'test' }))
        return {}
      },
      onPulled: (p) => pulled.push(p)
    })
    try {
      const version = await boCommits(bo, 'idea\n')
      const synced = await syncWithPeers({ ws: bo, trackers: [], security: gas.peerSecurity(bo) })
      expect(synced.refs[0].action).toBe('ahead')
      await vi.waitFor(() => expect(pulled.map((p) => p.error?.code)).toContain('E_LOCKED'), { timeout: 20_000, interval: 100 })
      expect(await ana.head()).toBe(version)
      expect(existsSync(join(ana.root, 'sketch.txt'))).toBe(false)
      holder!.kill('SIGKILL')
      await vi.waitFor(() => expect(pulled.at(-1)?.checkedOut?.written).toEqual(['sketch.txt']), { timeout: 20_000, interval: 100 })
      expect(readFileSync(join(ana.root, 'sketch.txt'), 'utf8')).toBe('idea\n')
      expect(pulled.at(-1)?.peer).toBe('bo')
    } finally {
      await stop()
    }
  }, 60_000)

  it('pull: false answers only, as a serve did before: the member stays ahead', async () => {
    const pulled: ServePulled[] = []
    const { ana, bo, stop } = await pair({ pull: false, onPulled: (p) => pulled.push(p) })
    try {
      const before = await ana.head()
      await boCommits(bo, 'idea\n')
      const synced = await syncWithPeers({ ws: bo, trackers: [], security: gas.peerSecurity(bo) })
      expect(synced.refs[0].action).toBe('ahead')
      expect(await ana.head()).toBe(before)
      expect(pulled).toEqual([])
    } finally {
      await stop()
    }
  }, 60_000)
})
