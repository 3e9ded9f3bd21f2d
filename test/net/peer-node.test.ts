import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as gas from '../../src/index.js'
import { createInvite, joinTeam } from '../../src/auth/invite.js'
import { servePeers, syncWithPeers } from '../../src/peer/sync/peer-node.js'
import { startTracker, type RunningTracker } from '../../src/peer/discovery/tracker.js'
import { readIndex } from '../../src/repo/staging-index.js'
import { makePng } from '../fixtures/textures.js'
import { gasInProcess } from '../helpers/cli.js'
import { useTmp } from '../helpers/tmp.js'

const tmp = useTmp()
const security = gas.peerSecurity

let tracker: RunningTracker
beforeAll(async () => { tracker = await startTracker({ port: 0, host: '127.0.0.1' }) })
afterAll(async () => { await tracker.close() })

async function team (names: string[]): Promise<gas.Workspace[]> {
  const lead = await gas.init({ dir: tmp(), name: names[0], team: 'orcs' })
  lead.config = { ...lead.config, trackers: [tracker.url] }
  await lead.saveConfig()
  const out = [lead]
  for (const name of names.slice(1)) {
    const ws = await gas.init({ dir: tmp(), name })
    await joinTeam(ws, JSON.stringify(await createInvite(lead, { publicKey: ws.identity.publicKey, name, roles: ['lead'] })))
    out.push(ws)
  }
  return out
}

function serve (ws: gas.Workspace): { stop: () => Promise<void> } {
  const controller = new AbortController()
  const done = servePeers({ ws, trackers: [], security: security(ws), signal: controller.signal })
  return { stop: async () => { controller.abort(); await done } }
}

describe('gas sync between workspaces over WebRTC (real tracker on 127.0.0.1)', () => {
  it('a committed asset arrives, verified and checked out; pending work is never overwritten; diverged heads are both kept', async () => {
    const [ana, bo] = await team(['ana', 'bo'])
    writeFileSync(join(ana.root, 'rock.png'), await makePng({ width: 256, height: 256 }))
    writeFileSync(join(ana.root, 'notes.txt'), 'v1')
    await gas.add(ana, { paths: [ana.root] })
    const v1 = await gas.commit(ana, { message: 'rock' })
    await ana.store.flush()
    const server = serve(ana)
    try {
      // the CLI, in process, as a user runs it
      const r = await gasInProcess(bo.root, ['sync', '--once', '--json'])
      expect(r.status).toBe(0)
      const out = JSON.parse(r.stdout)
      expect(out).toMatchObject({ peers: 1, conflicts: [], sent: { objects: 0 } })
      expect(out.fetched.bytes).toBeGreaterThan(1000)
      // how long the fetch took, for scripts that log transfer rates; the whole command took longer
      expect(out.seconds.fetch).toBeGreaterThan(0)
      expect(out.seconds.total).toBeGreaterThanOrEqual(out.seconds.fetch)
      expect(readFileSync(join(bo.root, 'rock.png')).equals(readFileSync(join(ana.root, 'rock.png')))).toBe(true)
      const boWs = await gas.open({ dir: bo.root })
      expect(await boWs.head()).toBe(v1)
      expect((await gas.fsck(boWs)).ok).toBe(true)
      // received trees, assets and manifests went into the pack; the version stays loose, where a prefix finds it
      const restored = await gas.restore(boWs, { path: 'rock.png', rev: v1.slice(0, 10), out: join(tmp(), 'old-rock.png') })
      expect(restored.size).toBeGreaterThan(0)
      expect(existsSync(boWs.store.loose.pathOf(v1))).toBe(true)
      expect(existsSync(boWs.store.loose.pathOf(restored.asset))).toBe(false)
      expect(boWs.store.hasPacked(restored.asset)).toBe(true)
      expect((await gas.stat(boWs)).chunks).toBe((await gas.stat(ana)).chunks)

      // bo stages an edit; ana commits another edit of the same file: bo's staged work stays
      writeFileSync(join(bo.root, 'notes.txt'), 'bo local')
      await gas.add(boWs, { paths: [join(bo.root, 'notes.txt')] })
      writeFileSync(join(ana.root, 'notes.txt'), 'v2 from ana')
      writeFileSync(join(ana.root, 'extra.txt'), 'new file')
      await gas.add(ana, { paths: [ana.root] })
      const v2 = await gas.commit(ana, { message: 'notes v2' })
      await ana.store.flush()
      const second = await syncWithPeers({ ws: boWs, trackers: [], security: security(boWs) })
      expect(await boWs.head()).toBe(v2)
      expect(second.checkout?.skipped).toEqual([{ path: 'notes.txt', reason: 'staged changes' }])
      expect(second.checkout?.written).toEqual(['extra.txt'])
      expect(readFileSync(join(bo.root, 'notes.txt'), 'utf8')).toBe('bo local')

      // ana's change to the path bo staged is a conflict: bo's commit cannot silently revert it
      expect(second.checkout?.conflicts).toEqual([{ path: 'notes.txt', base: expect.any(String), ours: expect.any(String), theirs: expect.any(String), local: 'staged' }])
      await expect(gas.commit(boWs, { message: 'bo notes' })).rejects.toMatchObject({ code: 'E_CONFLICT' })
      await gas.resolveConflict(boWs, { path: 'notes.txt', take: 'ours' })
      expect(readFileSync(join(bo.root, 'notes.txt'), 'utf8')).toBe('bo local')

      // both commit: histories diverge; bo keeps its head and records ana's under refs/remotes
      const boV = await gas.commit(boWs, { message: 'bo notes' })
      writeFileSync(join(ana.root, 'notes.txt'), 'v3 from ana')
      await gas.add(ana, { paths: [ana.root] })
      const v3 = await gas.commit(ana, { message: 'notes v3' })
      await ana.store.flush()
      const third = await syncWithPeers({ ws: boWs, trackers: [], security: security(boWs) })
      expect(third.conflicts.map((c) => [c.ref, c.local, c.remote])).toEqual([['refs/heads/main', boV, v3]])
      expect(await boWs.head()).toBe(boV)
      expect(await boWs.refs.read(third.conflicts[0].remoteRef)).toBe(v3)
      expect((await readIndex(boWs.fs, boWs.gasDir)).base).toBe(boV)
      // sync started the merge: notes.txt changed on both sides waits for gas resolve
      expect(third.merge).toMatchObject({ version: null, error: null, conflicts: [expect.objectContaining({ path: 'notes.txt', ours: expect.any(String), theirs: expect.any(String) })] })
      expect(readFileSync(join(bo.root, 'notes.txt'), 'utf8')).toBe('bo local')
      await boWs.close()
    } finally {
      await server.stop()
      await ana.close()
    }
  }, 60_000)

  it('a member who skips the content still gets versions and previews first', async () => {
    const [ana, qa] = await team(['ana', 'qa'])
    writeFileSync(join(ana.root, 'huge.png'), await makePng({ width: 2048, height: 2048, seed: 4 }))
    await gas.add(ana, { paths: [ana.root] })
    const v1 = await gas.commit(ana, { message: 'huge texture' })
    await ana.store.flush()
    const server = serve(ana)
    try {
      const started = performance.now()
      // the one peer the tracker counts is there: no waiting for more (a wait of 30 s would show)
      const result = await syncWithPeers({ ws: qa, trackers: [], security: security(qa), wantContent: () => false, morePeersWaitMs: 30_000 })
      expect(performance.now() - started).toBeLessThan(15_000)
      expect(await qa.head()).toBe(v1)
      expect(result.fetched.bytes).toBeLessThan(300_000) // the PNG is 2.5 MB; only metadata and the thumbnail came
      expect(result.checkout?.skipped.map((s) => s.path)).toEqual(['huge.png'])
      const preview = await gas.showPreview(qa, { target: 'huge.png' })
      expect(preview.info).toMatchObject({ width: 2048, height: 2048 })
      expect((await gas.log(qa)).map((v) => v.message)).toEqual(['huge texture'])
    } finally {
      await server.stop()
      await ana.close()
      await qa.close()
    }
  }, 60_000)

  it('refuses to sync without a team or a tracker', async () => {
    const loner = await gas.init({ dir: tmp(), name: 'loner' })
    const r = await gasInProcess(loner.root, ['sync', '--once'])
    expect(r.status).toBe(2)
    // the team first: a tracker is no use to a workspace without one
    expect(r.stderr).toMatch(/^gas: E_BAD_ARGUMENT: this workspace has no team: make one with `gas team create NAME`/)
    const [lead] = await team(['ana'])
    lead.config = { ...lead.config, trackers: [] }
    await lead.saveConfig()
    expect((await gasInProcess(lead.root, ['sync', '--once'])).stderr).toContain('no tracker')
    expect((await gasInProcess(loner.root, ['sync', '--once', '--tracker', tracker.url])).stderr).toContain('no team')
  })

  it('gas team commands write and read invites', async () => {
    const lead = await gas.init({ dir: tmp(), name: 'ana', team: 'orcs' })
    const bo = await gas.init({ dir: tmp(), name: 'bo' })
    expect((await gasInProcess(lead.root, ['team', 'tracker', tracker.url])).status).toBe(0)
    const invite = join(lead.root, 'bo.invite')
    const add = await gasInProcess(lead.root, ['team', 'add', bo.identity.publicKey, '--name', 'bo', '--role', 'qa', '--out', invite, '--json'])
    expect(JSON.parse(add.stdout).member).toMatchObject({ name: 'bo', roles: ['qa'] })
    const join1 = await gasInProcess(bo.root, ['team', 'join', invite, '--json'])
    expect(JSON.parse(join1.stdout)).toMatchObject({ name: 'orcs', roles: ['qa'], trackers: [tracker.url] })
    expect((await gasInProcess(bo.root, ['team', 'join', join(bo.root, 'missing.invite')])).stderr).toMatch(/E_NOT_FOUND/)
  })
})
