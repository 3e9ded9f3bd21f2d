import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import * as gas from '../../src/index.js'
import { servePeers, syncWithPeers } from '../../src/peer/sync/peer-node.js'
import type { ServePulled } from '../../src/peer/sync/serve-pull.js'
import type { SyncProgress } from '../../src/peer/sync/sync-engine.js'
import { startTracker, type RunningTracker } from '../../src/peer/discovery/tracker.js'
import { holdFirstTake, makeTeam } from '../helpers/team.js'
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

/** ana (lead, holding notes.txt v1 at `base`), bo and cy, none synced yet. */
async function trio (): Promise<{ ana: gas.Workspace, bo: gas.Workspace, cy: gas.Workspace, base: string }> {
  const [ana, bo, cy] = await makeTeam([tmp(), tmp(), tmp()], ['ana', 'bo', 'cy'], tracker.url)
  writeFileSync(join(ana.root, 'notes.txt'), 'v1\n')
  await gas.add(ana, { paths: [join(ana.root, 'notes.txt')] })
  const base = await gas.commit(ana, { message: 'notes' })
  await ana.store.flush()
  return { ana, bo, cy, base }
}

/** Each member commits a file of its own (`<name>.txt`); their new heads, in order. */
async function eachCommits (members: gas.Workspace[]): Promise<string[]> {
  const heads: string[] = []
  for (const ws of members) {
    const name = `${ws.identity.name}.txt`
    writeFileSync(join(ws.root, name), `${name}\n`)
    await gas.add(ws, { paths: [join(ws.root, name)] })
    heads.push(await gas.commit(ws, { message: name }))
    await ws.store.flush()
  }
  return heads
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

  it('two members sync at once, each ahead: the serve takes one, and merges the other, built on what it saw of ours; both then fast-forward', async () => {
    const { ana, bo, cy, base } = await trio()
    const pulled: ServePulled[] = []
    const controller = new AbortController()
    const serving = servePeers({ ws: ana, trackers: [], security: gas.peerSecurity(ana), signal: controller.signal, onPulled: (p) => pulled.push(p) })
    try {
      const sync = async (ws: gas.Workspace): Promise<Awaited<ReturnType<typeof syncWithPeers>>> => await syncWithPeers({ ws, trackers: [], security: gas.peerSecurity(ws) })
      for (const ws of [bo, cy]) expect((await sync(ws)).complete).toBe(true)
      const heads = await eachCommits([bo, cy])
      // both connect while ana's branch is at the base: whichever is taken second diverged from ana's by then
      await Promise.all([sync(bo), sync(cy)])
      await vi.waitFor(() => expect(pulled.filter((p) => p.result !== undefined)).toHaveLength(2), { timeout: 20_000, interval: 100 })
      // bo and cy also met and merged each other, each its own merge of the pair: the serve took
      // one and found the other the same merge (no third); had it not merged, cy's would wait on ana's
      const head = await ana.head()
      const top = (await gas.log(ana, {}))[0]
      expect(top.id).toBe(head)
      expect([...top.parents].sort()).toEqual([...heads].sort())
      expect(readFileSync(join(ana.root, 'bo.txt'), 'utf8')).toBe('bo.txt\n')
      expect(readFileSync(join(ana.root, 'cy.txt'), 'utf8')).toBe('cy.txt\n')
      expect(base).not.toBe(head)
      // each member ends at ana's version, and nobody makes another merge
      for (const ws of [bo, cy]) {
        const again = await sync(ws)
        expect(again.merge === null || again.merge.same === true).toBe(true)
        expect(await ws.head()).toBe(head)
      }
      for (const ws of [ana, bo, cy]) expect((await gas.log(ws, {})).filter((v) => v.parents.length === 2).length).toBeLessThanOrEqual(1)
      expect(await ana.head()).toBe(head)
    } finally {
      controller.abort()
      await serving
    }
  }, 60_000)

  it('a member that syncs while the serve takes another waits its turn (told BUSY), and leaves only once the serve took its versions', async () => {
    const { ana, bo, cy } = await trio()
    const controller = new AbortController()
    // the first take lasts longer than a member's linger idle time (5 s): without BUSY, cy would leave with its versions
    const { policy, takes } = holdFirstTake(7_000)
    const serving = servePeers({ ws: ana, trackers: [], security: gas.peerSecurity(ana), signal: controller.signal, policy })
    try {
      const sync = async (ws: gas.Workspace, onProgress?: (p: SyncProgress) => void): Promise<Awaited<ReturnType<typeof syncWithPeers>>> => await syncWithPeers({ ws, trackers: [], security: gas.peerSecurity(ws), onProgress })
      for (const ws of [bo, cy]) expect((await sync(ws)).complete).toBe(true)
      const [boHead, cyHead] = await eachCommits([bo, cy])
      const boSync = sync(bo)
      await vi.waitFor(() => expect(takes()).toBe(1), { timeout: 20_000, interval: 50 })
      const seen: SyncProgress[] = []
      const cySync = await sync(cy, (p) => { if (p.waiting !== undefined) seen.push(p) })
      expect(seen.length).toBeGreaterThan(0)
      expect(seen[0].waiting).toEqual([{ peer: 'ana', ahead: 1 }])
      // cy stayed until its turn: the serve holds cy's version before cy's sync returned
      expect(await ana.store.has(cyHead)).toBe(true)
      // what cy's sync says of ana's branch (cy may also have met bo, whose outcome is its own line)
      expect(['delivered', 'moved']).toContain(cySync.refs.find((r) => r.ref === 'refs/heads/main' && r.remoteRef.startsWith('refs/remotes/ana/'))?.action)
      // bo heard nothing while its take stood still and left at its idle time (a real take sends WANTs); its next sync offers it again
      await boSync
      await sync(bo)
      await vi.waitFor(async () => expect(await ana.store.has(boHead)).toBe(true), { timeout: 20_000, interval: 100 })
    } finally {
      controller.abort()
      await serving
    }
  }, 60_000)

  it('a member the serve merged while it waited its turn is brought to that merge in the same sync (taken-into)', async () => {
    const { ana, bo, cy } = await trio()
    // bo and cy reach ana alone, by its direct address: they never meet, so only the serve merges
    for (const ws of [ana, bo, cy]) {
      ws.config = { ...ws.config, trackers: [] }
      await ws.saveConfig()
    }
    const { policy, takes } = holdFirstTake(2_000)
    let address = ''
    const controller = new AbortController()
    const serving = servePeers({ ws: ana, trackers: [], listen: '127.0.0.1:0', security: gas.peerSecurity(ana), signal: controller.signal, policy, onListening: (at) => { address = `${at.host}:${at.port}` } })
    try {
      await vi.waitFor(() => expect(address).not.toBe(''), { timeout: 10_000, interval: 50 })
      const sync = async (ws: gas.Workspace): Promise<Awaited<ReturnType<typeof syncWithPeers>>> => await syncWithPeers({ ws, trackers: [], peers: [address], security: gas.peerSecurity(ws) })
      for (const ws of [bo, cy]) expect((await sync(ws)).complete).toBe(true)
      const heads = await eachCommits([bo, cy])
      const boSync = sync(bo)
      await vi.waitFor(() => expect(takes()).toBe(1), { timeout: 20_000, interval: 50 })
      const cySync = await sync(cy)
      expect((await boSync).refs[0].action).toBe('delivered')
      // ana took bo's first, then merged cy's (built on what ana showed cy); cy left at that merge
      const top = (await gas.log(ana, {}))[0]
      expect([...top.parents].sort()).toEqual([...heads].sort())
      expect(cySync.refs.filter((r) => r.ref === 'refs/heads/main').map((r) => r.action)).toEqual(['taken-into'])
      expect(await cy.head()).toBe(top.id)
      expect(readFileSync(join(cy.root, 'bo.txt'), 'utf8')).toBe('bo.txt\n')
      expect(cySync.complete).toBe(true)
    } finally {
      controller.abort()
      await serving
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

  it("a member's version held here from a take cut off mid-way is taken at its next sync (it stayed on the member)", async () => {
    const pulled: ServePulled[] = []
    const { ana, bo, stop } = await pair({ onPulled: (p) => pulled.push(p) })
    try {
      const version = await boCommits(bo, 'sketch, v1\n')
      // what a cut-off take leaves: bo's version record here, its files not, no ref moved
      const record = await bo.store.get(version)
      await ana.store.put(record.type, record.body)
      await ana.store.flush()
      const synced = await syncWithPeers({ ws: bo, trackers: [], security: gas.peerSecurity(bo) })
      expect(synced.refs.find((r) => r.ref === 'refs/heads/main')?.action).toBe('delivered')
      expect(await ana.head()).toBe(version)
      expect(readFileSync(join(ana.root, 'sketch.txt'), 'utf8')).toBe('sketch, v1\n')
      expect(pulled).toHaveLength(1)
      // taken: its next sync has nothing for the serve
      await syncWithPeers({ ws: bo, trackers: [], security: gas.peerSecurity(bo) })
      expect(pulled).toHaveLength(1)
    } finally {
      await stop()
    }
  }, 60_000)
})
